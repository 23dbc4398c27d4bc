"""Collections workbench: portfolios, strategies, worklists, activities and promises to pay."""
