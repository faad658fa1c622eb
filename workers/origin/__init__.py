"""The delivery origin: serves derivatives from S3 to the edge (Varnish locally, Cloudflare)."""
