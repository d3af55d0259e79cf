"""The warehouse-changing operations: the dbt runner, staged builds, the nightly job, manifest
updates, legacy import and retention, with their step reports."""
