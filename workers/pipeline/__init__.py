"""The ingest pipeline: S3 events -> scan jobs, clean files -> dedup -> processing queues,
and the SQS consumer loop that runs any registered job handler idempotently."""
