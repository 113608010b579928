"""What every API's fetch shares: bounded HTTP with retries, the call limiter, run deadlines, errors,
JSON documents, the observation columns and the fetched-source record."""
