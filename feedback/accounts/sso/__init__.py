"""Single sign-on with OpenID Connect: a workspace's provider, and signing in through it."""
