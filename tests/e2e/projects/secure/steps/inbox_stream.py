def admins_only(subscription, auth_context):
    return bool(auth_context) and auth_context.get("userId") == "admin"


config = {
    "name": "inbox",
    "schema": {"type": "object", "properties": {"text": {"type": "string"}}},
    "baseConfig": {"storageType": "default"},
    "canAccess": admins_only,
}
