"""What OpenAI-compatible providers share: the chat call, its stream, errors, model lists."""
