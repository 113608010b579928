"""SCB's PxWebApi 2: client, selections and the split planner, json-stat2 decoding, tidy rows, the source."""
