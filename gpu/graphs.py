"""CUDA graphs: record a sequence of kernel launches once, replay it with one call.

A training step on a small model is a few dozen short kernels, and the host spends
microseconds of Python on each launch -- often longer than the kernel runs. A *graph*
takes the host out of that loop: while a stream **captures**, the launches queued on it
are recorded instead of run (kernel, grid, block and every argument *value*, device
addresses included); afterwards one call **replays** the whole recording::

    step()                                   # once eagerly first: compiles the kernels
    with runtime.capturing() as graph:       # record ...
        step()
    for batch in batches:
        x_buffer[...] = batch                # new inputs go INTO the captured buffers
        graph.replay()                       # ... then run it all with one call
    graph.close()

``graph = runtime.capture(step)`` does the same as the ``with`` block. On the emulated
runtime the same code path runs: capture records each launch's twin and its arguments
(nothing is computed yet, as on a GPU), and a replay runs the recorded twins again.

**What a replay cannot see.** The recording holds *values*, fixed at capture:

* **addresses** -- every array the step reads or writes must be at the same address at
  each replay. Arrays made before the capture and used in it (weights, optimizer slots,
  the input batch buffer) must stay alive while the graph does and be updated *in
  place* (``w -= lr * g``, ``np.copyto``, ``x[...] = batch``); rebinding a Python name to
  a new array changes nothing the graph sees.
* **scalars** -- a learning rate passed as a launch argument is baked in. Whatever
  changes from step to step must live in device memory that the step reads.
* **host work** -- Python that runs between launches runs once, at capture. Nothing may
  be copied between host and device inside a capture: an upload or download raises
  :class:`CaptureError`, which says why and what to do instead.

**Memory.** Arrays made *during* the capture (the step's temporaries and results) get
addresses that the graph will write to at every replay, so those blocks must never go
to another array while the graph lives. A capture therefore allocates from a
:class:`GraphMemory`: it takes blocks from the runtime's pool as usual, and a block
released during the capture is reused *within* the capture as usual (the recorded
kernels run in order, exactly as the eager ones do) -- but every block stays the graph's,
even one whose array is dropped later, until :meth:`Graph.close` gives them all back.
"""
import collections

from .errors import GpuError


class CaptureError(GpuError):
    """Something that cannot be recorded into a graph was tried during a capture."""


class GraphMemory:
    """The blocks one graph owns: taken from the runtime's pool, kept until the graph closes.

    ``alloc`` reuses a block released earlier in the same capture if one of the size is
    free, else takes one from the runtime's :class:`~kerastutor.gpu.runtime.PooledMemory`;
    ``release`` puts a block back on this graph's free lists, never on the runtime's.
    ``rounded`` is the pool's rounding of sizes (blocks are reused by rounded size), and
    ``routes`` the runtime's map from a block's address to the graph that owns it, which
    its ``release`` consults.
    """

    def __init__(self, pool, rounded, routes):
        self._pool, self._rounded, self._routes = pool, rounded, routes
        self._free = collections.defaultdict(list)
        self.owned = {}                      # address -> rounded size: every block ever held

    def alloc(self, nbytes):
        size = self._rounded(nbytes)
        blocks = self._free[size]
        if blocks:
            return blocks.pop()
        return self.adopt(self._pool.alloc(size), size)

    def adopt(self, address, nbytes):
        """Make a block the graph's: it is released to the graph from now on."""
        self.owned[address] = self._rounded(nbytes)
        self._routes[address] = self
        return address

    def release(self, address, nbytes):
        self._free[self.owned[address]].append(address)

    def give_back(self):
        """Hand the free blocks to the runtime's pool; returns the blocks still in use.

        A block still held by an array (a result of the step kept after the capture)
        goes back to the pool when that array is dropped, by the usual route.
        """
        free = {address for blocks in self._free.values() for address in blocks}
        for address, size in self.owned.items():
            self._routes.pop(address, None)
            if address in free:
                self._pool.release(address, size)
        live = [address for address in self.owned if address not in free]
        self._free.clear()
        self.owned.clear()
        return live


class Graph:
    """A captured sequence of launches on one runtime; :meth:`replay` runs it again.

    Made by :meth:`Capturing.capturing` (or :meth:`Capturing.capture`), never directly.
    ``kernels`` lists the recorded kernels' names where the runtime can tell (the
    emulated one); on a GPU the recording lives in the driver.
    """

    def __init__(self, runtime):
        self.runtime = runtime
        self.memory = None                   # GraphMemory while capturing and until close
        self.kernels = None
        self._recording = None               # the runtime's handle, set when capture ends
        self.closed = False
        self.replays = 0

    def replay(self):
        """Run every recorded launch again, in order, with the values recorded."""
        if self._recording is None:
            raise CaptureError(
                "Graph.replay: this graph is closed" if self.closed else
                "Graph.replay: the capture has not finished yet. Replay after the "
                "`with runtime.capturing() as graph:` block has ended.")
        self.runtime._replay(self._recording)
        self.replays += 1

    def close(self):
        """Free the recording and give the graph's memory back to the runtime's pool."""
        if self.closed:
            return
        self.closed = True
        if self._recording is not None:
            self.runtime._destroy(self._recording)
            self._recording = None
        if self.memory is not None:
            self.memory.give_back()
            self.memory = None

    def __del__(self):
        try:
            self.close()
        except Exception:                    # interpreter shutdown
            pass

    def __repr__(self):
        state = "closed" if self.closed else f"{self.replays} replays"
        count = "" if self.kernels is None else f"{len(self.kernels)} launches, "
        return f"Graph({count}{state}, runtime={self.runtime.name!r})"


class Capturing:
    """What a runtime needs to capture graphs: memory routing and the capture itself.

    A runtime that mixes this in keeps its pool in ``self.memory`` and provides five
    hooks: ``_begin_capture()``, ``_end_capture()`` (returns the recording),
    ``_abort_capture()``, ``_replay(recording)`` and ``_destroy(recording)``. Its
    ``alloc``/``release``/``upload``/``download`` are the ones here.
    """

    _capture = None               # the Graph being captured, or None
    _graph_blocks = {}            # address -> GraphMemory owning it (made per runtime below)

    def alloc(self, nbytes):
        if self._capture is not None:
            return self._capture.memory.alloc(nbytes)
        return self.memory.alloc(nbytes)

    def release(self, address, nbytes):
        owner = self._graph_blocks.get(address) if self._graph_blocks else None
        if owner is not None:
            owner.release(address, nbytes)   # a graph's block stays the graph's
        elif self._capture is not None:
            # An array made before the capture, dropped during it: a recorded kernel may
            # read its block at every replay, so the graph keeps it (and may reuse it
            # within the capture, where every later kernel runs after that one).
            self._capture.memory.adopt(address, nbytes)
            self._capture.memory.release(address, nbytes)
        else:
            self.memory.release(address, nbytes)

    def refuse_transfer(self, what):
        """Raise :class:`CaptureError` if a capture is running (uploads and downloads call it)."""
        if self._capture is not None:
            raise CaptureError(
                f"{self.name} runtime: {what} during a graph capture. A graph records "
                f"kernel launches only: a copy between host and device in the middle of the "
                f"step would run once, now, and never at a replay (and a download would "
                f"read numbers the recorded kernels have not computed). Upload new inputs "
                f"*into* the step's input arrays before `graph.replay()`, read results "
                f"after it, and turn host numbers the step needs (np.float32 constants, "
                f"host arrays) into device arrays made before the capture.")

    def capturing(self):
        """``with runtime.capturing() as graph: step()`` records ``step``'s launches."""
        return _CaptureBlock(self)

    def capture(self, step, *args, **kwargs):
        """Record the launches ``step(*args, **kwargs)`` queues; returns the :class:`Graph`.

        The graph keeps a reference to ``step`` (and so to the arrays its closure
        holds), which keeps them alive while the graph lives.
        """
        with self.capturing() as graph:
            step(*args, **kwargs)
        graph.step = step
        return graph

    def _start(self):
        if self._capture is not None:
            raise CaptureError(f"{self.name} runtime: a capture is already running; end it "
                               f"before starting another (graphs do not nest).")
        if "_graph_blocks" not in vars(self):
            self._graph_blocks = {}
        graph = Graph(self)
        graph.memory = GraphMemory(self.memory, self.memory.rounded, self._graph_blocks)
        self._begin_capture()
        self._capture = graph
        return graph

    def _finish(self, graph, failed):
        self._capture = None
        if failed:
            self._abort_capture()
            graph.close()
            return
        try:
            graph._recording = self._end_capture()
        except BaseException:
            graph.close()
            raise
        graph.kernels = getattr(graph._recording, "kernels", None)


class _CaptureBlock:
    """The ``with`` statement of :meth:`Capturing.capturing`."""

    def __init__(self, runtime):
        self.runtime, self.graph = runtime, None

    def __enter__(self):
        self.graph = self.runtime._start()
        return self.graph

    def __exit__(self, kind, error, traceback):
        self.runtime._finish(self.graph, failed=kind is not None)
        return False
