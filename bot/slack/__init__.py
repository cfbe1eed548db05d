"""The Slack app: `Deps` and the listeners' shared plumbing, the app factory, HTTP and Socket Mode serving, the
durable work queue, posting with retries, metrics."""
