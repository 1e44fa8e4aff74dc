"""The accounts app's pages, one module per area: accounts (sign-up, verification,
profile), companies, watchlists and alerts. accounts/urls.py names each view."""
