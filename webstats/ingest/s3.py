"""Amazon S3 for the Athena target: locations, a client, and one clear line when AWS is out of
reach.

Credentials and the endpoint come from boto3's own chain (AWS_PROFILE, AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, an instance role, ...; AWS_ENDPOINT_URL_S3 for another endpoint such
as a local test server), never from the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class AwsUnavailable(ValueError):
    """No credentials, or S3 refused or could not be reached: said in one line."""


@dataclass(frozen=True)
class S3Location:
    """`s3://bucket/prefix/`: a bucket and a key prefix (empty, or ending in '/')."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        scheme, sep, rest = url.partition("://")
        bucket, _, prefix = rest.partition("/")
        if scheme != "s3" or not sep or not bucket:
            raise ValueError(f"not an S3 location (s3://bucket/prefix/): {url!r}")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(bucket, prefix)

    def key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def url(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    def __str__(self) -> str:
        return self.url()


def client() -> Any:
    """A boto3 S3 client; AwsUnavailable when no credentials can be found."""
    import boto3  # imported on use: keeps `webstats --help` fast

    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise AwsUnavailable(
            "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run with an instance role (docs/athena.md)"
        )
    return session.client("s3")


def require_credentials() -> None:
    """Fail early, in one line, before a step that needs AWS (dbt on Athena, S3)."""
    client()


def explain(exc: BaseException) -> AwsUnavailable:
    """An S3 failure (botocore's errors) as one line."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    what = f"{code}: " if code else ""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return AwsUnavailable(f"S3 failed: {what}{text}")
