"""hutch.build.context and hutch.build.copylayer: .dockerignore as moby/patternmatcher reads it
(its own test tables, ported), COPY/ADD sources and the layer a COPY makes, by BuildKit's rules.
Each test names what is docker's and where hutch differs on purpose."""

from __future__ import annotations

import gzip
import io
import lzma
import os
import socket
import stat
import tarfile
from pathlib import Path

import pytest

from hutch.build import context
from hutch.build.context import Ignore, load_ignore, sources
from hutch.build.copylayer import digest, write_layer
from hutch.errors import InvalidArgument

# moby/patternmatcher patternmatcher_test.go TestMatches: (pattern, path, matched). The cases on
# "/" itself are left out: paths here are relative to the context.
MATCHES = [
    ("**", "file", True), ("**", "file/", True), ("**/", "file", True), ("**/", "file/", True),
    ("**", "dir/file", True), ("**/", "dir/file", True), ("**", "dir/file/", True),
    ("**/", "dir/file/", True), ("**/**", "dir/file", True), ("**/**", "dir/file/", True),
    ("dir/**", "dir/file", True), ("dir/**", "dir/file/", True), ("dir/**", "dir/dir2/file", True),
    ("dir/**", "dir/dir2/file/", True), ("**/dir", "dir", True), ("**/dir", "dir/file", True),
    ("**/dir2/*", "dir/dir2/file", True), ("**/dir2/*", "dir/dir2/file/", True),
    ("**/dir2/**", "dir/dir2/dir3/file", True), ("**/dir2/**", "dir/dir2/dir3/file/", True),
    ("**file", "file", True), ("**file", "dir/file", True), ("**/file", "dir/file", True),
    ("**file", "dir/dir/file", True), ("**/file", "dir/dir/file", True), ("**/file*", "dir/dir/file", True),
    ("**/file*", "dir/dir/file.txt", True), ("**/file*txt", "dir/dir/file.txt", True),
    ("**/file*.txt", "dir/dir/file.txt", True), ("**/file*.txt*", "dir/dir/file.txt", True),
    ("**/**/*.txt", "dir/dir/file.txt", True), ("**/**/*.txt2", "dir/dir/file.txt", False),
    ("**/*.txt", "file.txt", True), ("**/**/*.txt", "file.txt", True), ("a**/*.txt", "a/file.txt", True),
    ("a**/*.txt", "a/dir/file.txt", True), ("a**/*.txt", "a/dir/dir/file.txt", True),
    ("a/*.txt", "a/dir/file.txt", False), ("a/*.txt", "a/file.txt", True), ("a/*.txt**", "a/file.txt", True),
    ("a[b-d]e", "ae", False), ("a[b-d]e", "ace", True), ("a[b-d]e", "aae", False), ("a[^b-d]e", "aze", True),
    (".*", ".foo", True), (".*", "foo", False), ("abc.def", "abcdef", False), ("abc.def", "abc.def", True),
    ("abc.def", "abcZdef", False), ("abc?def", "abcZdef", True), ("abc?def", "abcdef", False),
    ("a\\\\", "a\\", True), ("**/foo/bar", "foo/bar", True), ("**/foo/bar", "dir/foo/bar", True),
    ("**/foo/bar", "dir/dir2/foo/bar", True), ("abc/**", "abc", False), ("abc/**", "abc/def", True),
    ("abc/**", "abc/def/ghi", True), ("**/.foo", ".foo", True), ("**/.foo", "bar.foo", False),
    ("a(b)c/def", "a(b)c/def", True), ("a(b)c/def", "a(b)c/xyz", False),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("a\\*b", "a*b", True),
    # TestMatch (Go's filepath.Match tests, through Matches: a parent's match counts)
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
    ("a*", "ab/c", True), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True), ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False), ("ab[^e-g]", "abc", True), ("a\\*b", "ab", False), ("a?b", "a☺b", True),
    ("a[^a]b", "a☺b", True), ("a???b", "a☺b", False), ("a[^a][^a][^a]b", "a☺b", False),
    ("[a-ζ]*", "\u03b1", True), ("*[a-ζ]", "A", False), ("a?b", "a/b", False), ("a*b", "a/b", False),
    ("[\\]a]", "]", True), ("[\\-]", "-", True), ("[x\\-]", "x", True), ("[x\\-]", "-", True),
    ("[x\\-]", "z", False), ("[\\-x]", "x", True), ("[\\-x]", "-", True), ("[\\-x]", "a", False),
    ("*x", "xxx", True),
]
MULTI = [  # TestMatches multiPatternTests
    (["**", "!util/docker/web"], "util/docker/web/foo", False),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
    (["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    (["!fileutils.go", "*.go"], "fileutils.go", True), (["*.go", "!fileutils.go"], "fileutils.go", False),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs/", "!docs/README.md"], "docs/README.md", False),
    (["docs/*", "!docs/README.md"], "docs/README.md", False),
    # MatchesUsingParentResults (BuildKit's walk): "!a" was not looked at for "a", so it does
    # not rescue "a/b" (MatchesOrParentMatches would)
    (["a/*", "!a"], "a/b", True),
]
BAD = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "!"]
KINDS = [("*", "regexp"), ("file*", "regexp"), ("**", "suffix"), ("**/**", "regexp"), ("dir/**", "prefix"),
         ("**/dir", "suffix"), ("**/dir2/*", "regexp"), ("**file", "suffix"), ("**/**/*.txt", "regexp"),
         ("a[b-d]e", "regexp"), (".*", "regexp"), ("abc.def", "exact"), ("**/foo/bar", "suffix"),
         ("a(b)c/def", "exact"), ("a.|)$(}+{bc", "exact")]


@pytest.mark.parametrize(("pattern", "path", "matched"), MATCHES)
def test_patternmatcher_matches(pattern: str, path: str, matched: bool) -> None:
    assert Ignore.parse(pattern).excluded(path) is matched


@pytest.mark.parametrize(("patterns", "path", "matched"), MULTI)
def test_patternmatcher_multi(patterns: list[str], path: str, matched: bool) -> None:
    assert Ignore.parse("\n".join(patterns)).excluded(path) is matched


@pytest.mark.parametrize("pattern", BAD)
def test_malformed_patterns_are_buildkits_error(pattern: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^invalid excludepatterns: \[.*\]: "):
        Ignore.parse(f"ok\n{pattern}")


@pytest.mark.parametrize(("pattern", "kind"), KINDS)
def test_patterns_compile_to_patternmatchers_kinds(pattern: str, kind: str) -> None:
    assert Ignore.parse(pattern).patterns[0].kind == kind


def test_ignorefile_read_all() -> None:
    # ignorefile_test.go TestReadAll (less its lone "!" lines, an error for New)
    ig = Ignore.parse("\ufefftest1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n"
                      "! /inverted/abs/path\r\n  # not a comment\n")
    assert [("!" if p.exception else "") + p.text for p in ig.patterns] == [
        "test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "# not a comment"]
    assert Ignore().excluded("anything") is False
    assert Ignore.parse("*").excluded(".") is False  # the root is never excluded


def test_may_hold_exceptions() -> None:
    assert not Ignore.parse("docs").may_hold_exceptions("docs")
    ig = Ignore.parse("docs\n!docs/keep/a.md\n!x/*")
    assert ig.may_hold_exceptions("docs") and ig.may_hold_exceptions("docs/keep")
    assert not ig.may_hold_exceptions("docs/other") and ig.may_hold_exceptions("x")
    assert Ignore.parse("docs\n!**/*.md").may_hold_exceptions("docs/deep")  # a wildcard: anywhere


def test_load_ignore(tmp_path: Path) -> None:
    assert load_ignore(str(tmp_path)) == Ignore()
    (tmp_path / ".dockerignore").write_text("*.log\n!keep.log\n")
    ig = load_ignore(str(tmp_path))
    assert ig.excluded("a.log") and not ig.excluded("keep.log") and not ig.excluded("a.txt")


# ---- the context and COPY's sources -----------------------------------------------------------

def make(base: Path, files: dict[str, str]) -> Path:
    """Files (content), directories (name ending in "/"), symbolic links ("-> target")."""
    for name, content in files.items():
        p = base / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            p.mkdir(exist_ok=True)
        elif content.startswith("-> "):
            p.symlink_to(content[3:])
        else:
            p.write_text(content)
    return base


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    return make(tmp_path / "ctx", {"a.txt": "A", "b.txt": "B", "c.md": "C", "src/x.py": "X", "src/y.py": "Y",
                                   "src/sub/z.py": "Z", "a/x": "1", "a-b/x": "2", "star*.txt": "*",
                                   "starX.txt": "X"})


def test_sources_wildcards_sorted_as_buildkits_walk(ctx: Path) -> None:
    assert sources(str(ctx), ["*.txt"], Ignore()) == ["a.txt", "b.txt", "star*.txt", "starX.txt"]
    assert sources(str(ctx), ["src/*.py", "c.md"], Ignore()) == ["src/x.py", "src/y.py", "c.md"]
    assert sources(str(ctx), ["*/x"], Ignore()) == ["a/x", "a-b/x"]  # "a" before "a-b": walk order
    assert sources(str(ctx), ["s*"], Ignore()) == ["src", "star*.txt", "starX.txt"]  # src not entered
    assert sources(str(ctx), ["st?r\\*.txt"], Ignore()) == ["star*.txt"]  # Go's escape
    assert sources(str(ctx), ["/src/../a.txt", "./", "../../b.txt"], Ignore()) == ["a.txt", ".", "b.txt"]


def test_wildcard_matching_nothing_is_no_source(ctx: Path) -> None:
    # BuildKit's AllowEmptyWildcard (moby/moby#26332): COPY requirements.* . copies nothing
    assert sources(str(ctx), ["nomatch*", "[bad"], Ignore()) == []
    assert not members(layer(ctx, [], "/x/"))  # an empty tar: not even /x
    with pytest.raises(InvalidArgument, match="stat missing: file does not exist"):
        sources(str(ctx), ["missing/*.txt"], Ignore())


def test_missing_source_in_the_classic_builders_words(ctx: Path) -> None:
    with pytest.raises(InvalidArgument) as err:
        sources(str(ctx), ["a.txt", "nope.txt"], Ignore())
    assert str(err.value) == ("COPY failed: file not found in build context or excluded by .dockerignore: "
                              "stat nope.txt: file does not exist")
    with pytest.raises(InvalidArgument, match=r"^ADD failed: stat nope: file does not exist$"):
        sources(str(ctx), ["nope"], None, instruction="ADD")  # a stage's root: no context words


def test_ignored_files_are_not_there(ctx: Path) -> None:
    ig = Ignore.parse("*.md\nsrc/sub")
    with pytest.raises(InvalidArgument, match=r"stat c\.md: file does not exist"):
        sources(str(ctx), ["c.md"], ig)
    with pytest.raises(InvalidArgument, match=r"stat src/sub/z\.py"):
        sources(str(ctx), ["src/sub/z.py"], ig)
    assert "c.md" not in sources(str(ctx), ["*"], ig)
    assert sources(str(ctx), ["*.md"], ig) == []
    assert sources(str(ctx), ["c.md"], None) == ["c.md"]  # a stage's root: nothing is ignored
    (ctx / "to-md").symlink_to("c.md")
    with pytest.raises(InvalidArgument, match="stat to-md"):  # a link to what is not in the context
        sources(str(ctx), ["to-md"], ig)
    with pytest.raises(InvalidArgument, match=r'^unable to prepare context: path ".*/nope" not found$'):
        sources(str(ctx / "nope"), ["a"], ig)


def test_symlinks_resolve_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("host secret")
    root = make(tmp_path / "ctx", {"up": "-> ../secret", "abs": f"-> {tmp_path}/secret",
                                   "etc": "-> /etc", "loop": "-> loop", "in": "-> sub/f", "sub/f": "F",
                                   "clamp": "-> ../../../sub/f"})
    for name in ("up", "abs", "etc/passwd", "loop"):
        with pytest.raises(InvalidArgument, match="file does not exist"):
            sources(str(root), [name], None)
    assert sources(str(root), ["in", "clamp"], None) == ["in", "clamp"]  # ".." stops at the root
    assert members(layer(root, ["in", "clamp"], "/d/"))["d/clamp"][5] == b"F"


# ---- the layer --------------------------------------------------------------------------------

def layer(root: Path, srcs: list[str], dest: str, **kw: object) -> bytes:
    out = io.BytesIO()
    write_layer(out, str(root), srcs, dest, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def members(data: bytes) -> dict[str, tuple[str, int, int, int, str, bytes]]:
    """name -> (type, mode, uid, gid, linkname, content), in the order written."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t:
            f = t.extractfile(m) if m.isreg() else None
            kind = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "sym", tarfile.LNKTYPE: "link",
                    tarfile.FIFOTYPE: "fifo"}.get(m.type, "file")
            out[m.name] = (kind, m.mode, m.uid, m.gid, m.linkname, f.read() if f else b"")
    return out


def test_file_to_file_and_into_a_directory(ctx: Path) -> None:
    m = members(layer(ctx, ["a.txt"], "/app/b.txt"))
    assert list(m) == ["app", "app/b.txt"]
    assert m["app"][:4] == ("dir", 0o755, 0, 0) and m["app/b.txt"][5] == b"A"
    assert list(members(layer(ctx, ["a.txt"], "/app/"))) == ["app", "app/a.txt"]
    assert list(members(layer(ctx, ["a.txt"], "sub/", workdir="/w", exists=lambda p: p == "/w"))) == [
        "w/sub", "w/sub/a.txt"]
    # an existing directory takes the file in, as fsutil's copy does (when is_dir says so)
    dirs = {"/usr", "/usr/bin"}
    m = members(layer(ctx, ["a.txt"], "/usr/bin", exists=dirs.__contains__, is_dir=dirs.__contains__))
    assert list(m) == ["usr/bin/a.txt"]
    assert list(members(layer(ctx, ["a.txt"], "/etc/conf", exists=lambda p: True))) == ["etc/conf"]


def test_directory_contents_are_copied_into_dest(ctx: Path) -> None:
    m = members(layer(ctx, ["src"], "/app"))
    assert list(m) == ["app", "app/sub", "app/sub/z.py", "app/x.py", "app/y.py"]
    assert list(members(layer(ctx, ["."], "/", exists=lambda p: True)))[:3] == ["a", "a/x", "a-b"]


def test_several_sources_need_a_directory(ctx: Path) -> None:
    # docker's documented rule, the classic builder's words (BuildKit lets each overwrite the last)
    with pytest.raises(InvalidArgument, match=r"^When using COPY with more than one source file, the "
                                              r"destination must be a directory and end with a /$"):
        layer(ctx, ["a.txt", "b.txt"], "/app")
    assert list(members(layer(ctx, ["a.txt", "src"], "/app/"))) == [
        "app", "app/a.txt", "app/sub", "app/sub/z.py", "app/x.py", "app/y.py"]
    assert "app/b.txt" in members(layer(ctx, ["a.txt", "b.txt"], "/app", exists=lambda p: p == "/app",
                                        is_dir=lambda p: p == "/app"))
    with pytest.raises(InvalidArgument, match="cannot copy to non-directory: /app"):
        layer(ctx, ["src"], "/app", exists=lambda p: True, is_dir=lambda p: p != "/app")


def test_ignored_files_inside_a_directory_are_skipped(tmp_path: Path) -> None:
    root = make(tmp_path, {"docs/README.md": "R", "docs/other.md": "O", "docs/sub/x": "x", "app/a.log": "L",
                           "app/keep.log": "K", "app/main.py": "M"})
    ig = Ignore.parse("docs\n!docs/README.md\napp/*.log\n!app/keep.log")
    assert list(members(layer(root, ["app"], "/a/", ignore=ig))) == ["a", "a/keep.log", "a/main.py"]
    # docs is excluded but holds an exception: there as the kept file's parent
    assert sources(str(root), ["docs"], ig) == ["docs"]
    assert list(members(layer(root, ["."], "/c/", ignore=ig))) == [
        "c", "c/app", "c/app/keep.log", "c/app/main.py", "c/docs", "c/docs/README.md"]
    assert sources(str(root), ["d*"], ig) == ["docs"]
    with pytest.raises(InvalidArgument, match=r"stat docs/other\.md"):
        sources(str(root), ["docs/other.md"], ig)


def test_symlinks_inside_are_copied_as_links_a_source_link_is_followed(tmp_path: Path) -> None:
    root = make(tmp_path, {"d/l": "-> /etc/passwd", "d/f": "F", "top": "-> d/f", "dl": "-> d"})
    m = members(layer(root, ["d", "top"], "/x/"))
    assert m["x/l"][0] == "sym" and m["x/l"][4] == "/etc/passwd" and m["x/l"][1] == 0o777
    assert m["x/top"][0] == "file" and m["x/top"][5] == b"F"  # the link's own name, its target's content
    assert list(members(layer(root, ["dl"], "/y"))) == ["y", "y/f", "y/l"]


def test_chown_and_chmod_apply_to_all_written_created_dirs_included(tmp_path: Path) -> None:
    root = make(tmp_path, {"d/f": "F", "d/sub/": "", "d/l": "-> f"})
    (root / "d/sub").chmod(0o700)
    m = members(layer(root, ["d"], "/new/dest", chown=(1000, 1001), chmod=0o640))
    assert {n: v[:4] for n, v in m.items()} == {
        "new": ("dir", 0o640, 1000, 1001), "new/dest": ("dir", 0o640, 1000, 1001),
        "new/dest/f": ("file", 0o640, 1000, 1001), "new/dest/l": ("sym", 0o777, 1000, 1001),
        "new/dest/sub": ("dir", 0o640, 1000, 1001)}
    m = members(layer(root, ["d"], "/n"))
    assert m["n/f"][1:4] == (0o644 & ~_umask(), 0, 0) and m["n/sub"][1] == 0o700  # context files are root's
    assert members(layer(root, ["d"], "/n", keep_owners=True))["n/f"][2:4] == (os.getuid(), os.getgid())
    with pytest.raises(InvalidArgument, match="invalid chmod parameter"):
        layer(root, ["d"], "/n", chmod=0o10000)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_parents_are_written_only_when_missing(ctx: Path) -> None:
    have = {"/app", "/app/x"}
    assert list(members(layer(ctx, ["a.txt"], "/app/x/y/z/", exists=have.__contains__))) == [
        "app/x/y", "app/x/y/z", "app/x/y/z/a.txt"]
    with pytest.raises(InvalidArgument, match=r"^COPY failed: mkdir /app: not a directory$"):
        layer(ctx, ["a.txt"], "/app/x/", exists=have.__contains__, is_dir=lambda p: False)


def test_hard_links_fifos_sockets_and_whiteouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make(tmp_path, {"s/a": "A", "s/.wh.x": "W", "s/.wh.d/f": "W"})
    os.link(root / "s/a", root / "s/b")
    os.mkfifo(root / "s/p")
    monkeypatch.chdir(root / "s")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock")
        m = members(layer(root, ["s"], "/t", exists=lambda p: True))
    assert list(m) == ["t/a", "t/b", "t/p"]
    assert m["t/b"][0] == "link" and m["t/b"][4] == "t/a" and m["t/p"][0] == "fifo"


# ---- ADD --------------------------------------------------------------------------------------

def archive(compress: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        def add(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "",
                mode: int = 0o640) -> None:
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mode, ti.uid, ti.gid, ti.size = kind, link, mode, 1000, 1000, len(data)
            t.addfile(ti, io.BytesIO(data))
        add("ok/", tarfile.DIRTYPE, mode=0o750)
        add("ok/file", data=b"ok")
        add("../evil", data=b"evil")
        add("/abs", data=b"abs")
        add("./ok/../../../up/", tarfile.DIRTYPE)
        add("lnk", tarfile.SYMTYPE, link="/etc")
        add("lnk/passwd", data=b"root:x")
        add("hard", tarfile.LNKTYPE, link="ok/file")
        add(".wh.gone", data=b"")
    data = buf.getvalue()
    return gzip.compress(data) if compress == "gz" else lzma.compress(data)


@pytest.mark.parametrize("compress", ["gz", "xz"])
def test_add_unpacks_archives_known_by_their_bytes(tmp_path: Path, compress: str) -> None:
    (tmp_path / "archive.bin").write_bytes(archive(compress))
    m = members(layer(tmp_path, ["archive.bin"], "/dst", extract=True))
    # docker unpacks in a chroot at dest: "../evil" is dest/evil, a link the archive made is
    # followed inside dest; nothing lands outside it
    assert list(m) == ["dst", "dst/ok", "dst/ok/file", "dst/evil", "dst/abs", "dst/up", "dst/lnk", "dst/etc",
                       "dst/etc/passwd", "dst/hard"]
    assert m["dst"][:4] == ("dir", 0o755, 0, 0) and m["dst/etc"][:4] == ("dir", 0o755, 0, 0)
    assert m["dst/ok"][:4] == ("dir", 0o750, 1000, 1000)  # the archive's owners and modes
    assert m["dst/ok/file"][:4] == ("file", 0o640, 1000, 1000) and m["dst/evil"][5] == b"evil"
    assert m["dst/lnk"][4] == "/etc" and m["dst/hard"][0] == "link" and m["dst/hard"][4] == "dst/ok/file"
    m = members(layer(tmp_path, ["archive.bin"], "/dst", extract=True, chown=(7, 8), chmod=0o600))
    assert {v[2:4] for v in m.values()} == {(7, 8)} and m["dst/ok"][1] == 0o750  # chmod: not for ADD's


def test_add_copies_what_is_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "plain.tar.gz").write_text("not an archive")
    (tmp_path / "empty.tar").write_bytes(b"\0" * 1024)
    m = members(layer(tmp_path, ["plain.tar.gz", "empty.tar"], "/d/", extract=True))
    assert list(m) == ["d", "d/plain.tar.gz", "d/empty.tar"] and m["d/plain.tar.gz"][5] == b"not an archive"
    (tmp_path / "a.tgz").write_bytes(archive("gz"))
    assert members(layer(tmp_path, ["a.tgz"], "/d/"))["d/a.tgz"][0] == "file"  # COPY does not unpack


# ---- digest -----------------------------------------------------------------------------------

def test_digest_is_stable_and_follows_content(tmp_path: Path) -> None:
    files = {"d/f": "F", "d/sub/g": "G", "d/l": "-> f", "d/x.log": "L"}
    one, two = make(tmp_path / "one", files), make(tmp_path / "two", files)
    os.utime(two / "d/f", (0, 0))
    ig = Ignore.parse("d/*.log")
    first = digest(str(one), ["d"], ig)
    assert first.startswith("sha256:") and len(first) == 71
    assert digest(str(one), ["d"], ig) == first == digest(str(two), ["d"], ig)  # times do not count
    (two / "d/x.log").write_text("changed, but ignored")
    assert digest(str(two), ["d"], ig) == first
    assert digest(str(two), ["d"], None) != first
    (two / "d/f").write_text("G")
    assert digest(str(two), ["d"], ig) != first
    (one / "d/f").chmod(0o600)
    assert digest(str(one), ["d"], ig) != first
    assert digest(str(one), ["d/f"]) != digest(str(one), ["d/sub/g"])
    with pytest.raises(InvalidArgument, match="stat nope"):
        digest(str(one), ["nope"], ig)


def test_stat_helpers() -> None:
    assert context.clean("/a/./b/../../..//c/") == "/c" and context.clean("../x/..") == ".."
    assert context.has_wildcards("a*") and not context.has_wildcards("a\\*") and stat.S_ISDIR(0o40755)
