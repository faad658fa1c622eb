"""The signed on-the-fly image transform service (imgproxy-style URLs).

`/<signature>/<processing options>/<encoded source>`; the signature is
urlsafe-base64(HMAC-SHA256(key, salt + "/<processing options>/<encoded source>")).
"""
