"""What every layer stands on: settings, the warehouse connection, seeds, value types."""
