"""The words of the seam tests' step, in its own folder as a feature keeps them
(``words/<language>.toml``, read by ``writeback.wording.folder_wording``)."""
