from pydantic import BaseModel, ConfigDict, Field


class Signup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3)
    age: int = Field(ge=0)
    tags: list[str] = []


config = {
    "type": "api",
    "name": "Signup",
    "path": "/signup",
    "method": "POST",
    "emits": [],
    "bodySchema": Signup.model_json_schema(),
}


def handler(req, context):
    user = Signup(**req["body"])
    return {"status": 201, "body": {"welcome": user.username, "tags": user.tags}}
