"""Server-rendered pages: a worker's phone page today; the staff console arrives later."""
