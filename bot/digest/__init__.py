"""The daily digest: rotation, content, schedule and sending, exactly once per channel a day."""
