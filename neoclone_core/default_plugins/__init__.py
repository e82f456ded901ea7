"""neoclone's default policies, each registered through the `neoclone` entry-point group
exactly like a third-party plugin, so each can be blocked by name and replaced."""
