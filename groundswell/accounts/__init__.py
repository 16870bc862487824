"""Accounts: users, roles and permissions, departments, sessions, API tokens, audit log."""
