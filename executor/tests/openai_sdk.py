"""The official `openai` Python package against a running daya-executor, as an app would use it.

Usage: python openai_sdk.py BASE_URL API_KEY MODEL

Completions and chat, streaming and not, the usage, and the errors the SDK raises. Prints one
line per check; exits non-zero (with the failed assertion) on the first that fails.
"""

import sys

import openai
from openai import OpenAI

base_url, api_key, model = sys.argv[1], sys.argv[2], sys.argv[3]
client = OpenAI(base_url=base_url + "/v1", api_key=api_key, max_retries=0)


def check(what, condition, detail=""):
    assert condition, f"{what}: {detail}"
    print(f"ok  {what}")


# The models, parsed by the SDK's strict model type.
models = client.models.list().data
served = [m for m in models if m.id == model]
check("models.list names the model", len(served) == 1, models)
check("a model has `created`", isinstance(served[0].created, int) and served[0].created > 0)

# A completion, whole and streamed.
whole = client.completions.create(model=model, prompt="Hello", max_tokens=24, temperature=0)
text = whole.choices[0].text
check("completions.create answers", len(text) > 0 and whole.usage.completion_tokens > 0, whole)
chunks = list(
    client.completions.create(
        model=model, prompt="Hello", max_tokens=24, temperature=0, stream=True
    )
)
check("a completion streams in chunks", len(chunks) > 2, chunks)
check(
    "the streamed completion is the whole one",
    "".join(c.choices[0].text for c in chunks) == text,
)
check(
    "the finish reason comes last",
    chunks[-1].choices[0].finish_reason == whole.choices[0].finish_reason
    and all(c.choices[0].finish_reason is None for c in chunks[:-1]),
)

# A chat, whole and streamed with the usage.
messages = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
]
whole = client.chat.completions.create(
    model=model, messages=messages, max_completion_tokens=16, temperature=0, n=1, user="tester"
)
content = whole.choices[0].message.content
check("chat.completions.create answers", whole.choices[0].message.role == "assistant", whole)
stream = client.chat.completions.create(
    model=model,
    messages=messages,
    max_completion_tokens=16,
    temperature=0,
    stream=True,
    stream_options={"include_usage": True},
)
chunks = list(stream)
check("the first delta carries the role", chunks[0].choices[0].delta.role == "assistant")
streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("the streamed chat is the whole one", streamed == content, (streamed, content))
check(
    "the last chunk is the usage",
    chunks[-1].choices == [] and chunks[-1].usage == whole.usage,
    chunks[-1],
)

# A stop sequence, streamed: the answer ends before it.
if len(content) > 4:
    stop = content[3:5]
    chunks = list(
        client.chat.completions.create(
            model=model,
            messages=messages,
            max_completion_tokens=16,
            temperature=0,
            stop=[stop],
            stream=True,
        )
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    check("a stop sequence ends the stream", streamed == content[: content.find(stop)])
    check("finished as stop", chunks[-1].choices[0].finish_reason == "stop")

# Errors, as the SDK raises them.
try:
    client.completions.create(model="gpt-9", prompt="x", max_tokens=1)
    check("an unknown model is refused", False)
except openai.NotFoundError as e:
    check("an unknown model: NotFoundError", e.code == "unknown_model", e.body)
try:
    client.chat.completions.create(model=model, messages=messages, n=2)
    check("n=2 is refused", False)
except openai.BadRequestError as e:
    check(
        "n=2: BadRequestError naming the parameter",
        e.code == "unsupported_parameter" and e.param == "n" and e.type == "invalid_request_error",
        e.body,
    )
try:
    OpenAI(base_url=base_url + "/v1", api_key="wrong", max_retries=0).models.list()
    check("a wrong key is refused", False)
except openai.AuthenticationError as e:
    check("a wrong key: AuthenticationError", e.status_code == 401, e.body)
print("all checks passed")
