"""Every S3 API that creates a new version of an object, through a real client: each returns the
version it created.

PutObject, POST Object (an HTML form upload, as browsers and presigned POSTs do), CopyObject
(how S3 documents restoring an older version:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html) and a
multipart upload's CompleteMultipartUpload.
"""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any

CONTENT_TYPE = "application/x-yaml"
MIN_PART = 5 * 1024 * 1024  # S3's minimum size of every part but the last


def put(s3: Any, bucket: str, key: str, body: bytes) -> str:
    return str(s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPE)["VersionId"])


def post(s3: Any, bucket: str, key: str, body: bytes) -> str:
    """A presigned POST form; S3 answers 204 without the version, so it is read back."""
    form = s3.generate_presigned_post(bucket, key, Fields={"Content-Type": CONTENT_TYPE})
    boundary = uuid.uuid4().hex
    fields = {**form["fields"], "Content-Type": CONTENT_TYPE}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    filename = key.rsplit("/", 1)[-1]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {CONTENT_TYPE}\r\n\r\n".encode()
        + body
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    url = str(form["url"])
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an S3 endpoint: {url}")
    request = urllib.request.Request(  # noqa: S310 - checked above
        url,
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - checked above
        response.read()
    return newest_version(s3, bucket, key)


def copy(s3: Any, bucket: str, key: str, version: str) -> str:
    """Copy ``version`` of the object onto the key: the restore S3 documents."""
    source = {"Bucket": bucket, "Key": key, "VersionId": version}
    return str(s3.copy_object(Bucket=bucket, Key=key, CopySource=source)["VersionId"])


def multipart(s3: Any, bucket: str, key: str, body: bytes) -> str:
    """Two parts when the body allows one of S3's minimum size, else one."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=CONTENT_TYPE)["UploadId"]
    chunks = [body[:MIN_PART], body[MIN_PART:]] if len(body) > MIN_PART else [body]
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=chunk)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    return str(done["VersionId"])


def newest_version(s3: Any, bucket: str, key: str) -> str:
    return str(s3.head_object(Bucket=bucket, Key=key)["VersionId"])
