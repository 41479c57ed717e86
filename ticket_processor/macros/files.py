"""The macro book's file names in the state directory: read by the run's set-up, which must
not load numpy to learn whether a book exists, and by the book itself."""

BOOK_FILE = "macros.json"
VECTORS_FILE = "macros-vectors.npz"
