// ProfileCatalog implementation (in progress).
