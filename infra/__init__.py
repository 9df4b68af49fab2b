"""Deployment: the manifest of functions and the script that deploys them."""
