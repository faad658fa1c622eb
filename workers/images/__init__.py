"""The image worker: optimised variants of an image, and the signed on-the-fly transform service.

`optimize.optimize` writes the variant set and its manifest; `job.handle` runs it for a
queue job against S3; `transform.app.create_app` is the ASGI transform service.
"""
