"""Content dedup: streamed SHA-256 content addressing, one stored object per distinct content,
reference counts in DynamoDB (conditional writes, atomic ADD), garbage collection."""
