"""People: their accounts, the workspaces they belong to, and their signed-in sessions."""
