from django.http import JsonResponse


def error_response(status: int, code: str, message: str, *, fields: dict | None = None,
                   headers: dict | None = None) -> JsonResponse:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = JsonResponse({"error": body}, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path.startswith("/v1/")
