"""Corpora and review campaigns (SPEC §4): import a corpus, list corpora; a review's packages
and its kept and removed pairs for the requester; taking a package and one's packages for the
reviewer. A review is created and launched like any campaign (``POST /campaigns`` with
``corpus_id``); its pairs come to reviewers as offers (``/work/next``), rated with
``/work/offers/{id}/label``.
"""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from crowdset.api.deps import ContextDep, SubmissionKeyDep, allowed, mark_replayed
from crowdset.api.pagination import NEXT_PAGE_HEADERS, PAGED_RESPONSES, PageDep
from crowdset.api.params import Id
from crowdset.api.schemas_review import (
    CorpusBody,
    CorpusPublic,
    MyPackagePublic,
    PackagePublic,
    ReviewedPairPublic,
    RevisionBody,
    RevisionPublic,
    TakenPackagePublic,
    corpus_public,
    my_package_public,
    package_public,
    reviewed_pair_public,
    taken_package_public,
)
from crowdset.core.documents import MAX_DEPTH, nesting_depth, too_deep
from crowdset.core.filtering import requested_rules
from crowdset.core.permissions import Action
from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.parallel import ParallelFormat, read_pairs
from crowdset.formats.parallel_writers import OutputFormat
from crowdset.formats.review import pairs_from_json, write_reviewed, write_reviewed_jsonl
from crowdset.services import corpora, labeling, review_reports
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.corpora import CorpusView

router = APIRouter()
Runner = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]
Worker = Annotated[Principal, Depends(allowed(Action.DO_WORK))]
SUFFIXES = {".tsv": ParallelFormat.TSV, ".jsonl": ParallelFormat.JSONL, ".tmx": ParallelFormat.TMX}
DOWNLOADS = {"tsv": "text/tab-separated-values", "jsonl": "application/jsonl"}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` written in place (an OpenAPI request body
    cannot point at them)."""
    defs = schema.pop("$defs", {})

    def resolve(node: object) -> object:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved = resolve(schema)
    assert isinstance(resolved, dict)
    return resolved


CORPUS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inlined(CorpusBody.model_json_schema())},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "name"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "file2": {
                            "type": "string",
                            "format": "binary",
                            "description": "Moses: the target side (`file` is the source).",
                        },
                        "name": {"type": "string"},
                        "format": {"type": "string", "enum": [f.value for f in ParallelFormat]},
                        "source_lang": {"type": "string"},
                        "target_lang": {"type": "string"},
                        "header": {"type": "boolean", "description": "TSV: skip a header."},
                        "filters": {
                            "type": "string",
                            "description": "`default`, or a filter pipeline as YAML: store "
                            "only the pairs the machine filters keep.",
                        },
                    },
                }
            },
        },
    }
}


# --- corpora ----------------------------------------------------------------------------------


@router.get(
    "/corpora", response_model=list[CorpusPublic], tags=["corpora"], responses=PAGED_RESPONSES
)
def list_corpora(
    ctx: ContextDep,
    caller: Runner,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Only those whose name contains it."),
    ] = None,
) -> list[CorpusPublic]:
    """Your imported corpora (an operator sees all), oldest first; `q` (a part of the name,
    any case) filters them. Paged: `limit` and `cursor`, the next page in the `Link` and
    `X-Next-Cursor` headers."""
    found = corpora.list_corpora(ctx, caller, name_contains=q, after=page.after, limit=page.fetch)
    return [corpus_public(c) for c in page.rows(found, key=lambda c: c.id)]


def _text(value: object, field: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {value!r}", field=field)
    return value


def _from_json(ctx: Context, caller: Principal, raw: bytes) -> CorpusView:
    if nesting_depth(raw) > MAX_DEPTH:
        raise too_deep("request body")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(
            f"the body is not JSON ({error}); send "
            '{"name": "news", "pairs": [{"source": "…", "target": "…"}]} or upload a file as '
            "multipart/form-data",
            field="body",
        ) from None
    if not isinstance(document, dict):
        raise InvalidInput('the body is a JSON object: {"name": …, "pairs": […]}', field="body")
    unknown = sorted(set(document) - set(CorpusBody.model_fields))
    if unknown:
        raise InvalidInput(
            f"unknown field(s) {', '.join(unknown)}; a corpus has "
            f"{', '.join(CorpusBody.model_fields)}",
            field=unknown[0],
        )
    name = _text(document.get("name"), "name", required=True)
    return corpora.import_corpus(
        ctx,
        caller,
        pairs_from_json(document.get("pairs")),
        name=name or "",
        origin="request body",
        source_lang=_text(document.get("source_lang"), "source_lang"),
        target_lang=_text(document.get("target_lang"), "target_lang"),
        filters=requested_rules(_text(document.get("filters"), "filters")),
    )


async def _from_upload(ctx: Context, caller: Principal, request: Request) -> CorpusView:
    async with request.form() as form:  # closes the spooled uploads
        upload, second = form.get("file"), form.get("file2")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(
                "send the corpus file as the form field `file` (for Moses files, the target "
                "side as `file2`)",
                field="file",
            )
        given = _text(form.get("format"), "format")
        try:
            fmt = ParallelFormat(given) if given else None
        except ValueError:
            raise InvalidInput(
                f"format {given!r} is not one of {', '.join(f.value for f in ParallelFormat)}",
                field="format",
            ) from None
        if fmt is None:
            suffix = Path(upload.filename or "").suffix.lower()
            moses = isinstance(second, UploadFile)
            fmt = ParallelFormat.MOSES if moses else SUFFIXES.get(suffix, ParallelFormat.TSV)
        source_lang = _text(form.get("source_lang"), "source_lang")
        target_lang = _text(form.get("target_lang"), "target_lang")
        name = _text(form.get("name"), "name", required=True) or ""
        header = _text(form.get("header"), "header") in ("true", "1", "yes")
        filters = requested_rules(_text(form.get("filters"), "filters"))
        uploads = [upload, second] if fmt is ParallelFormat.MOSES else [upload]
        with tempfile.TemporaryDirectory(prefix="crowdset-corpus-") as folder:
            paths = []
            for number, part in enumerate(uploads, start=1):
                if not isinstance(part, UploadFile):
                    raise InvalidInput(
                        "Moses files come in two: send the target side as `file2`", field="file2"
                    )
                path = Path(folder) / f"{number}" / Path(part.filename or f"file{number}").name
                path.parent.mkdir()
                path.write_bytes(await part.read())
                paths.append(path)
            chunks = read_pairs(
                paths, fmt, src_lang=source_lang, tgt_lang=target_lang, header=header
            )
            try:
                # in a worker thread: a large import (and its filters) must not stall the
                # event loop, which serves every other request meanwhile
                return await run_in_threadpool(
                    lambda: corpora.import_corpus(
                        ctx,
                        caller,
                        chunks,
                        name=name,
                        origin=" ".join(p.name for p in paths),
                        source_lang=source_lang,
                        target_lang=target_lang,
                        filters=filters,
                    )
                )
            except ImportFailed as error:  # name the uploaded files, not where they were put

                def private(value: object) -> object:
                    if not isinstance(value, str):
                        return value
                    return value.replace(f"{folder}/1/", "").replace(f"{folder}/2/", "")

                fields = {key: private(value) for key, value in error.fields.items()}
                raise ImportFailed(str(private(error.message)), **fields) from None


@router.post(
    "/corpora",
    response_model=CorpusPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["corpora"],
    openapi_extra=CORPUS_BODY,
)
async def import_corpus(ctx: ContextDep, caller: Runner, request: Request) -> CorpusPublic:
    """Import a parallel corpus, whole or not at all: as JSON, `{"name", "source_lang",
    "target_lang", "pairs": [{"source", "target"}]}`, or as a file upload
    (`multipart/form-data`: `file`, `name`, `format` tsv, jsonl, tmx or moses — guessed from
    the file name — with `file2` the target side of Moses files, `source_lang`, `target_lang`,
    `header`). A bad line is refused with its `line` (`pairs[0]` is line 1) and nothing is kept.
    With `filters` (`default`, or a pipeline as YAML) the machine filters run on the way in:
    only the pairs they keep are stored, and `filter_report` says what each rule removed.
    The body is limited to `CROWDSET_MAX_REQUEST_BYTES`: import larger corpora with
    `crowdset corpus import`."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return corpus_public(await _from_upload(ctx, caller, request))
    body = await request.body()
    return corpus_public(await run_in_threadpool(_from_json, ctx, caller, body))


# --- a review's requester ---------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/packages",
    response_model=list[PackagePublic],
    tags=["campaigns"],
    responses=PAGED_RESPONSES,
)
def packages(
    ctx: ContextDep, caller: Runner, campaign_id: Id, page: PageDep
) -> list[PackagePublic]:
    """A review's packages, oldest first: reviewer, status, pairs rated, nominal reward,
    deposit, and once judged the error against the references (above `max_package_error` the
    deposit is forfeited). Paged: `limit` and `cursor`, the next page in the `Link` and
    `X-Next-Cursor` headers."""
    found = review_reports.packages(ctx, caller, campaign_id, after=page.after, limit=page.fetch)
    return [package_public(p) for p in page.rows(found, key=lambda p: p.id)]


@router.get(
    "/campaigns/{campaign_id}/pairs",
    response_model=list[ReviewedPairPublic],
    tags=["campaigns"],
    responses={200: {"content": {t: {} for t in DOWNLOADS.values()}, "headers": NEXT_PAGE_HEADERS}},
)
def pairs(
    ctx: ContextDep,
    caller: Runner,
    campaign_id: Id,
    page: PageDep,
    keep: Annotated[bool | None, Query(description="Only kept (true) or removed (false).")] = None,
    format: Annotated[Literal["json", "tsv", "jsonl"], Query()] = "json",
) -> list[ReviewedPairPublic] | Response:
    """A review's pairs in the corpus's order with their weighted score, plain mean, rank and
    ratings: kept (the top k·P) or removed with the reason. `format=json` is paged (`limit`
    and `cursor`, the next page in the `Link` and `X-Next-Cursor` headers); `format=jsonl`
    downloads them all (`id, src, tgt, score, mean, rank, ratings`, and `reason`),
    `format=tsv` as a parallel corpus (source, tab, target)."""
    found = review_reports.reviewed_pairs(ctx, caller, campaign_id)
    chosen = found.pairs if keep is None else (found.kept if keep else found.removed)
    if format == "json":
        # ranks and the cut need every pair: the report is whole in memory, the page a slice
        return [reviewed_pair_public(p) for p in page.of(chosen, key=lambda p: p.item)]
    buffer = io.StringIO()
    records = [asdict(p) for p in chosen]
    if format == "tsv":
        write_reviewed(records, OutputFormat.TSV, [buffer])
    else:
        write_reviewed_jsonl(records, buffer)
    which = "" if keep is None else ("-kept" if keep else "-removed")
    return Response(
        buffer.getvalue(),
        media_type=DOWNLOADS[format],
        headers={
            "Content-Disposition": (
                f'attachment; filename="campaign-{campaign_id}-pairs{which}.{format}"'
            )
        },
    )


@router.post("/campaigns/{campaign_id}/revision", response_model=RevisionPublic, tags=["campaigns"])
def send_to_revision(ctx: ContextDep, caller: Runner, campaign_id: Id) -> RevisionPublic:
    """Send the rated pairs within `review.revision_band` stars of the cut score to revision:
    a worker edits each translation (paid from the reserve), then it is rated again. Each pair
    goes once."""
    return RevisionPublic(sent=review_reports.send_to_revision(ctx, caller, campaign_id))


# --- a reviewer -------------------------------------------------------------------------------


@router.post(
    "/work/offers/{offer_id}/revision", status_code=status.HTTP_204_NO_CONTENT, tags=["work"]
)
def revise(
    ctx: ContextDep, caller: Worker, offer_id: Id, body: RevisionBody, key: SubmissionKeyDep
) -> Response:
    """Your edited translation for a revise offer (`kind: revise`): it replaces the pair's
    translation, which is then rated again. Paid on submission."""
    done = labeling.submit_revision(ctx, caller.user_id, offer_id, body.target, idempotency_key=key)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    mark_replayed(response, done.replayed)
    return response


@router.post(
    "/work/campaigns/{campaign_id}/packages",
    response_model=TakenPackagePublic,
    status_code=status.HTTP_201_CREATED,
    tags=["work"],
    responses={409: {"description": "No pair needs review now, or you hold an open package."}},
)
def take_package(
    ctx: ContextDep, caller: Worker, campaign_id: Id, key: SubmissionKeyDep, response: Response
) -> TakenPackagePublic:
    """Take a package of a review campaign: its deposit (1.5 × its reward) is held from your
    available credits until it is judged. Its pairs then come as your offers (`/work/next`);
    rate each with `/work/offers/{id}/label` and a star from 1 to 5. With an
    `Idempotency-Key`, a retry gets the same package back (200) instead of a second one."""
    taken = labeling.take_package(ctx, caller.user_id, campaign_id, idempotency_key=key)
    mark_replayed(response, taken.replayed, status.HTTP_200_OK)
    return taken_package_public(taken)


@router.get(
    "/work/packages",
    response_model=list[MyPackagePublic],
    tags=["work"],
    responses=PAGED_RESPONSES,
)
def my_packages(ctx: ContextDep, caller: Worker, page: PageDep) -> list[MyPackagePublic]:
    """Your review packages, newest first: status, pairs rated, reward, deposit, and once
    judged your error against the references. Paged: `limit` and `cursor`, the next page in
    the `Link` and `X-Next-Cursor` headers."""
    found = review_reports.my_packages(ctx, caller.user_id, after=page.after, limit=page.fetch)
    return [my_package_public(p) for p in page.rows(found, key=lambda p: p.id)]
