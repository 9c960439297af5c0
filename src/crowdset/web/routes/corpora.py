"""A requester's parallel corpora (SPEC §4) on the web: the list, an upload (one TSV, JSONL or
TMX file, or two Moses files), and a review campaign over a corpus: its spec, the challenge
pairs beside it, and the cost before anything is created.

An upload is imported whole or not at all, synchronously, within the request size limit
(``max_request_bytes``); a bad line is shown at the file with its line number. Larger corpora
go through ``crowdset corpus import``. The machine filters may run on the way in (the default
pipeline, or one pasted as YAML): then only the kept pairs are stored, and the list shows what
each rule removed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from crowdset.core.filtering import Rule, requested_rules
from crowdset.core.labeling.items import ItemRow, with_challenges
from crowdset.core.labeling.spec import LabelingSpec, load_labeling_spec
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, ImportFailed, InvalidInput, SpecInvalid
from crowdset.formats.parallel import ParallelFormat, read_pairs
from crowdset.formats.review import read_review_items
from crowdset.services import corpora
from crowdset.services.context import Context
from crowdset.services.corpora import CorpusView
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash, text_of
from crowdset.web.forms import Form, message_of
from crowdset.web.rendering import page
from crowdset.web.review_views import review_cost

router = APIRouter()
Runner = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]

UPLOAD_FIELDS = (
    "name",
    "format",
    "source_lang",
    "target_lang",
    "header",
    "run_filters",
    "filters",
)
LANGUAGE_FIELDS = {  # a corpus language the filters' language rules refuse, at its input
    "language.src": "source_lang",
    "script.src": "source_lang",
    "language.tgt": "target_lang",
    "script.tgt": "target_lang",
}
REVIEW_FIELDS = ("corpus", "review_spec")
SUFFIXES = {".tsv": ParallelFormat.TSV, ".jsonl": ParallelFormat.JSONL, ".tmx": ParallelFormat.TMX}
FORMATS = (
    ("", "From the file name (.tsv, .jsonl, .tmx; two files: Moses)"),
    (ParallelFormat.TSV.value, "TSV: source, tab, target"),
    (ParallelFormat.JSONL.value, "JSONL: src and tgt"),
    (ParallelFormat.TMX.value, "TMX"),
    (ParallelFormat.MOSES.value, "Moses: two files, one sentence a line"),
)
EXAMPLE_REVIEW_SPEC = """\
name: Review en-de news
type: review
instructions: |
  Read the English sentence and its German translation. Rate how much the translation
  would need to change to be correct and natural, following the rubric.
gold: {share: 0.1}          # challenge pairs with known stars, mixed into every package
review:
  reviewers: 3              # R ratings per pair
  keep_share: 0.4           # P: keep the top 40 % by weighted score
  minutes_per_pair: 0.5     # W_n: the budget is W minutes at the fair wage
  package_size: 10          # pairs per package, challenge pairs included
  package_hours: 24
  deposit_factor: 1.5       # deposit = 1.5 × the package's reward
  max_package_error: 1.5    # RMS stars off the references that forfeits the deposit
"""


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- the list and an upload -------------------------------------------------------------------


def _corpora_page(
    request: Request, ctx: Context, viewer: Viewer, form: Form, status: int = 200
) -> Response:
    return page(
        request,
        "corpora.html",
        {
            "corpora": corpora.list_corpora(ctx, viewer.principal),
            "form": form,
            "formats": FORMATS,
            "max_bytes": ctx.settings.max_request_bytes,
        },
        status_code=status,
        title="Corpora",
    )


@router.get("/corpora")
def list_corpora(request: Request, ctx: ContextDep, viewer: Runner) -> Response:
    return _corpora_page(request, ctx, viewer, Form())


def _chosen(posted: FormData, name: str) -> UploadFile | None:
    upload = posted.get(name)
    return upload if isinstance(upload, UploadFile) and upload.filename else None


def _format_of(form: Form, first: UploadFile, second: UploadFile | None) -> ParallelFormat:
    """The format picked, or guessed: two files are Moses, else the first file's suffix."""
    given = form.value("format")
    if given:
        try:
            return ParallelFormat(given)
        except ValueError:
            choices = ", ".join(f.value for f in ParallelFormat)
            raise InvalidInput(
                f"format {given!r} is not one of {choices}", field="format"
            ) from None
    if second is not None:
        return ParallelFormat.MOSES
    name = Path(first.filename or "").name
    found = SUFFIXES.get(Path(name).suffix.lower())
    if found is None:
        raise InvalidInput(
            f"{name} does not end in .tsv, .jsonl or .tmx: pick its format, or choose the "
            "target side as the second file for a Moses pair",
            field="format",
        )
    return found


def _filters(form: Form) -> list[Rule] | None:
    """The machine filters asked for: the pasted pipeline when there is one, else the default
    pipeline when the box is ticked, else none; a bad pipeline is shown at the text box."""
    pasted = form.value("filters")
    setting = pasted if pasted.strip() else "default" if form.value("run_filters") else None
    try:
        return requested_rules(setting)
    except SpecInvalid as error:  # its field is the YAML path; the page shows it at the box
        raise SpecInvalid(error.message, **error.fields | {"field": "filters"}) from None


async def _import(ctx: Context, viewer: Viewer, posted: FormData, form: Form) -> CorpusView:
    """Import the uploaded file(s) whole; an error names the file as the requester called it,
    and its line."""
    first, second = _chosen(posted, "file"), _chosen(posted, "file2")
    if first is None:
        raise InvalidInput(
            "Choose the corpus file: TSV, JSONL or TMX (for Moses, the source side here and "
            "the target side below).",
            field="file",
        )
    fmt = _format_of(form, first, second)
    filters = _filters(form)
    uploads = [first, second] if fmt is ParallelFormat.MOSES else [first]
    source_lang = form.value("source_lang").strip() or None
    target_lang = form.value("target_lang").strip() or None
    with tempfile.TemporaryDirectory(prefix="crowdset-corpus-") as folder:
        paths = []
        for number, part in enumerate(uploads, start=1):
            if part is None:
                raise InvalidInput(
                    "Moses files come in two: choose the target side as the second file.",
                    field="file2",
                )
            path = Path(folder) / str(number) / (Path(part.filename or "").name or f"file{number}")
            path.parent.mkdir()
            path.write_bytes(await part.read())
            paths.append(path)
        try:
            chunks = read_pairs(
                paths,
                fmt,
                src_lang=source_lang,
                tgt_lang=target_lang,
                header=form.value("header") == "yes",
            )
            # in a worker thread, as in the REST API: the event loop serves other requests
            return await run_in_threadpool(
                lambda: corpora.import_corpus(
                    ctx,
                    viewer.principal,
                    chunks,
                    name=form.value("name"),
                    origin=" ".join(p.name for p in paths),
                    source_lang=source_lang,
                    target_lang=target_lang,
                    filters=filters,
                )
            )
        except ImportFailed as error:  # name the uploaded files, not where they were put
            message = error.message.replace(f"{folder}/1/", "").replace(f"{folder}/2/", "")
            raise ImportFailed(message, field="file", line=error.fields.get("line")) from None


@router.post("/corpora")
async def upload_corpus(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep
) -> Response:
    form = Form.of(posted, (*UPLOAD_FIELDS, "file", "file2"))
    if not form.value("name").strip():
        form.error("name", "Name the corpus, like news-en-de.")
    else:
        try:
            made = await _import(ctx, viewer, posted, form)
        except DomainError as error:
            form.fail(error, ctx.settings, default="file", fields=LANGUAGE_FIELDS)
        else:
            report = made.filter_report
            kept = (
                f"{made.pairs:,} of {report['total']:,} pairs kept by the machine filters and "
                "imported"
                if report is not None
                else f"{made.pairs:,} pairs imported"
            )
            flash(
                request,
                f"Corpus {made.id} “{made.name}”: {kept}. "
                "“Review it” creates a review campaign over it.",
            )
            return _see_other("/corpora")
    return _corpora_page(request, ctx, viewer, form, 422)


# --- a review over a corpus -------------------------------------------------------------------


def _review_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    form: Form,
    cost: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "review_new.html",
        {"corpora": corpora.list_corpora(ctx, viewer.principal), "form": form, "cost": cost},
        status_code=status,
        title="New review",
    )


@router.get("/corpora/review")
def new_review(
    request: Request, ctx: ContextDep, viewer: Runner, corpus: int | None = None
) -> Response:
    form = Form({"review_spec": EXAMPLE_REVIEW_SPEC, "corpus": str(corpus or "")})
    return _review_page(request, ctx, viewer, form)


async def _spec_of(posted: FormData, form: Form) -> LabelingSpec | None:
    """The review spec from the uploaded file, else the pasted text; problems at the spec."""
    upload = _chosen(posted, "review_spec_file")
    text = form.value("review_spec")
    if upload is not None:
        try:
            text = (await upload.read()).decode("utf-8")
        except UnicodeDecodeError:
            form.error("review_spec", f"{upload.filename} is not UTF-8 text: save it as UTF-8.")
            return None
        form.values["review_spec"] = text  # an uploaded file comes back as text to fix
    if not text.strip():
        form.error("review_spec", "Paste a review spec or choose a YAML or JSON file.")
        return None
    try:
        spec = load_labeling_spec(text, source="spec")
    except DomainError as error:
        listed = error.fields.get("errors")
        if isinstance(listed, list) and listed:
            for item in listed:
                form.error("review_spec", f"{item.get('field', '')}: {item.get('message', '')}")
        else:
            form.error("review_spec", error.message)
        return None
    if spec.review is None:
        form.error(
            "review_spec",
            f"type: {spec.type} rates items; a review of a corpus needs type: review and a "
            "review section (reviewers, keep_share, package_size, …)",
        )
        return None
    return spec


async def _challenges(posted: FormData, spec: LabelingSpec) -> tuple[list[ItemRow], str]:
    """The challenge pairs of the optional file (a table with source, target and gold stars,
    or a parallel file), named as the requester called it."""
    upload = _chosen(posted, "challenges_file")
    if upload is None:
        return [], ""
    name = Path(upload.filename or "").name or "challenges"
    with tempfile.TemporaryDirectory(prefix="crowdset-challenges-") as folder:
        path = Path(folder) / name
        path.write_bytes(await upload.read())
        try:
            rows = read_review_items(path, spec, complete=False)
        except DomainError as error:
            fields = {k: v for k, v in error.fields.items() if k != "field"}
            message = error.message.replace(str(path), name).replace(f"{folder}/", "")
            raise ImportFailed(message, **fields | {"field": "challenges_file"}) from None
    return rows, name


@router.post("/corpora/review")
async def create_review(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep
) -> Response:
    form = Form.of(posted, (*REVIEW_FIELDS, "review_spec_file", "challenges_file"))
    corpus: CorpusView | None = None
    try:
        chosen = int(form.value("corpus"))
    except ValueError:
        form.error("corpus", "Choose the corpus to review.")
    else:  # someone else's corpus is not found, as in the API
        corpus = corpora.get_corpus(ctx, viewer.principal, chosen)
    spec = await _spec_of(posted, form)
    if corpus is None or spec is None:
        return _review_page(request, ctx, viewer, form, status=422)
    try:
        challenges, named = await _challenges(posted, spec)
        source = f"corpus {corpus.id} “{corpus.name}”"
        if text_of(posted, "action") != "create":
            # everything the draft would check, without storing it
            with_challenges(
                corpora.review_items(ctx, viewer.principal, corpus.id),
                challenges,
                spec,
                source=source,
            )
            cost = review_cost(ctx, spec, corpus.pairs, len(challenges), named)
            return _review_page(request, ctx, viewer, form, cost)
        view = corpora.create_review(ctx, viewer.principal, spec, corpus.id, challenges)
    except DomainError as error:
        target = "challenges_file" if isinstance(error, ImportFailed) else "review_spec"
        form.error(target, message_of(error, ctx.settings))
        return _review_page(request, ctx, viewer, form, status=422)
    flash(
        request,
        f"Draft review “{view.name}” created over the {corpus.pairs:,} pairs of corpus "
        f"“{corpus.name}” with {len(challenges)} challenge pairs. Check the cost, then launch it.",
    )
    return _see_other(f"/campaigns/{view.id}")
