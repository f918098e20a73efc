"""What every request passes through before and after its route: the one ASGI layer
(`layer.Edge`), request ids and headers, body and header limits, authentication and
rate limits, the access log and metrics, error mapping, and the early answers of the
hottest routes (`hot_routes`)."""
