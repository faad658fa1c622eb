"""The audio worker: transcoding ladder, HLS, lossless stems, loudness, watermarks, fingerprints."""
