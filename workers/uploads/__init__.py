"""Resumable uploads: the presigned-multipart uploads API, its quotas, and the upload client.

- `tokens`: HMAC-SHA256 bearer tokens (user id, expiry).
- `sizing`: part size and part count of a multipart upload.
- `naming`: filename sanitising and the `<user>/<upload id>/<filename>` object keys.
- `quotas`: per-user usage and reservations in DynamoDB, threshold notifications via SNS.
- `service`: the upload operations (create, sign part, list, complete, abort) over boto3.
- `api`: the ASGI app (Uppy `@uppy/aws-s3` multipart endpoints, /healthz, /metrics).
- `client` + `resume`: `upload_file`, parallel parts with retries and resume after a kill.
- `cli`: `mediainfra upload` and `mediainfra uploads-api`.
"""
