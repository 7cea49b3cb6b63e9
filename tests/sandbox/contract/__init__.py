"""The contract test's parts: botocore-shape validation of raw responses, and the recorder that captures them."""
