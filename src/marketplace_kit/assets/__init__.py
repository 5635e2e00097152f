"""Browser assets the kit serves itself: Swagger UI and Mermaid, from their npm packages."""
