"""The web app's pages, one module per audience: public, account, work, campaigns, operator."""
