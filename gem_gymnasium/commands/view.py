"""``gem-gym view FILE.jsonl [...] [--out PAGE.html] [--serve]``: the episode viewer page."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view",
        help="write an HTML page to browse episode trajectories",
        description=(
            "Write one self-contained HTML page (no network needed) over the trajectory JSONL "
            "that `gem-gym eval` and `gem-gym train --log_episodes N` write: a filterable list "
            "of episodes, each shown turn by turn with the game's image where it has one."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE.jsonl", help="trajectories")
    parser.add_argument(
        "--out", type=Path, help="the page to write (default: the first FILE with .html)"
    )
    parser.add_argument(
        "--images",
        type=int,
        default=200,
        metavar="N",
        help="draw game images for the first N episodes (replayed from their seeds; 0: none)",
    )
    parser.add_argument(
        "--serve", action="store_true", help="serve the page on 127.0.0.1 until Ctrl-C"
    )
    parser.add_argument("--port", type=int, default=8000, help="port for --serve (0: any free)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gem_gymnasium.commands import CommandError
    from gem_gymnasium.viewer import EpisodeFileError, build_page, read_episodes

    if args.images < 0:
        raise CommandError(f"--images must be >= 0, got {args.images}")
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be 0..65535, got {args.port}")
    try:
        episodes = read_episodes(args.files)
    except EpisodeFileError as error:
        raise CommandError(str(error)) from error
    out = args.out or args.files[0].with_suffix(".html")
    title = ", ".join(path.name for path in args.files)
    page = build_page(episodes, title=title, image_limit=args.images)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {out}: {error.strerror or error}") from error
    print(f"{len(episodes)} episodes -> {out} ({len(page.encode()) / 1e6:.1f} MB)")
    if args.serve:
        serve(out, args.port)
    return 0


def serve(page: Path, port: int) -> None:
    """Serve ``page`` (and nothing else) on 127.0.0.1 until interrupted."""
    import http.server

    body = page.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/", f"/{page.name}"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would drown the URL printed below

    from gem_gymnasium.commands import CommandError

    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as error:
        raise CommandError(
            f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}"
        ) from error
    with server:
        print(
            f"serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True
        )
        server.serve_forever()
