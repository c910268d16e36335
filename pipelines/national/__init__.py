"""NHS England's published statistics at trust grain (docs/domain.md §8): fetching and loading publications."""
