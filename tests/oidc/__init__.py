"""A real OpenID Connect provider (the npm package oidc-provider on Node) for the single sign-on tests."""
