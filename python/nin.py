"""nin - trained Network In Network models from Python, through libnin's C API (include/nin/model.h) by ctypes:
no compiled extension, only the installed libnin and NumPy.

    import numpy as np
    import nin

    with nin.Model("model.nin") as model:          # a nin-cl checkpoint or an ONNX model, on device 0
        probs = model.predict(images)              # pixels 0..255, (N, H, W) or (N, C, H, W) -> (N, classes)
        for p in probs:
            print(model.class_names[int(p.argmax())], p.max())

The library is $NIN_LIBRARY when set, else the one ctypes.util.find_library("nin") finds, else libnin.so.0 from
the loader's path. libnin finds its OpenCL kernels where it was installed, or in $NIN_KERNEL_DIR. Models on the
same device share one OpenCL context. A Model is not safe to use from several threads at once.
"""
import ctypes
import ctypes.util
import os
import threading
from collections import namedtuple

import numpy as np

__all__ = ["Error", "Device", "devices", "Model"]


class Error(Exception):
    """A libnin call failed; the message is its one line (nin_last_error), naming the file, option or call."""


# --- the library ----------------------------------------------------------------------------------------------

class _Shape(ctypes.Structure):
    _fields_ = [("c", ctypes.c_int), ("h", ctypes.c_int), ("w", ctypes.c_int)]


class _DeviceInfo(ctypes.Structure):
    """struct nin_device_info of include/nin/runtime.h, field for field."""
    _fields_ = [("index", ctypes.c_int), ("platform", ctypes.c_void_p), ("device", ctypes.c_void_p),
                ("platform_name", ctypes.c_char * 128), ("name", ctypes.c_char * 128),
                ("type", ctypes.c_uint64), ("compute_units", ctypes.c_uint32),
                ("global_mem_bytes", ctypes.c_uint64), ("max_alloc_bytes", ctypes.c_uint64),
                ("version", ctypes.c_char * 128), ("driver", ctypes.c_char * 64)]


_P = ctypes.c_void_p
_FLOATS = np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS")
_BYTES = np.ctypeslib.ndpointer(np.uint8, flags="C_CONTIGUOUS")
# name: (result type, argument types) of each function used
_SIGNATURES = {
    "nin_last_error": (ctypes.c_char_p, []),
    "nin_list_devices": (ctypes.c_int, [ctypes.POINTER(ctypes.POINTER(_DeviceInfo))]),
    "nin_device_type_name": (ctypes.c_char_p, [ctypes.c_uint64]),
    "nin_context_create": (_P, [ctypes.c_int]),
    "nin_context_free": (None, [_P]),
    "nin_model_load": (_P, [_P, ctypes.c_char_p, ctypes.c_int]),
    "nin_model_free": (None, [_P]),
    "nin_model_input_shape": (_Shape, [_P]),
    "nin_model_classes": (ctypes.c_int, [_P]),
    "nin_model_class_name": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "nin_model_predict": (ctypes.c_int, [_P, _BYTES, ctypes.c_int, _FLOATS]),
    "nin_model_preprocess": (ctypes.c_int, [_P, _BYTES, ctypes.c_int, _FLOATS]),
    "nin_model_forward": (ctypes.c_int, [_P, _FLOATS, ctypes.c_int, _FLOATS]),
    "nin_model_predict_file": (ctypes.c_int, [_P, ctypes.c_char_p, _FLOATS]),
}

_lib = None
_lock = threading.RLock()   # guards _lib and _contexts


def _library():
    """libnin, loaded on first use with the argument and result types of the functions this module calls."""
    global _lib
    with _lock:
        if _lib is None:
            name = os.environ.get("NIN_LIBRARY") or ctypes.util.find_library("nin") or "libnin.so.0"
            try:
                lib = ctypes.CDLL(name)
            except OSError as e:
                raise Error("cannot load libnin (%s): %s; set NIN_LIBRARY to its path" % (name, e)) from None
            for fn, (restype, argtypes) in _SIGNATURES.items():
                getattr(lib, fn).restype = restype
                getattr(lib, fn).argtypes = argtypes
            _lib = lib
        return _lib


def _error():
    """The calling thread's last libnin error as an Error (libnin is loaded)."""
    return Error(_lib.nin_last_error().decode(errors="replace"))


def _text(b):
    return b.decode(errors="replace")


# --- devices --------------------------------------------------------------------------------------------------

Device = namedtuple("Device", "index name platform type compute_units memory_bytes version")
Device.__doc__ = "An OpenCL device as nin-cl --devices lists it; type is GPU, CPU, ACCEL or OTHER."


def devices():
    """The OpenCL devices, numbered as Model(device=...) and nin-cl --device take them ([] when there is none)."""
    lib = _library()
    table = ctypes.POINTER(_DeviceInfo)()
    count = lib.nin_list_devices(ctypes.byref(table))
    if count < 0:
        raise _error()
    try:
        return [Device(d.index, _text(d.name), _text(d.platform_name), _text(lib.nin_device_type_name(d.type)),
                       d.compute_units, d.global_mem_bytes, _text(d.version))
                for d in (table[i] for i in range(count))]
    finally:
        if table:
            ctypes.CDLL(None).free(ctypes.cast(table, ctypes.c_void_p))


# One context per device, shared by the models on it: {device: [context, models using it]}.
_contexts = {}


def _acquire_context(device):
    with _lock:
        entry = _contexts.get(device)
        if entry is None:
            ctx = _lib.nin_context_create(device)
            if not ctx:
                raise _error()
            entry = _contexts[device] = [ctx, 0]
        entry[1] += 1
        return entry[0]


def _release_context(device):
    with _lock:
        entry = _contexts[device]
        entry[1] -= 1
        if entry[1] == 0:
            del _contexts[device]
            _lib.nin_context_free(entry[0])


# --- models ---------------------------------------------------------------------------------------------------

class Model:
    """A trained model on an OpenCL device, loaded once to predict many times.

    Model(path, device=0, batch=64): path is a nin-cl checkpoint (.nin) or an ONNX model; device the index of
    nin.devices(); batch how many images one pass on the device takes (larger requests are split). Raises Error
    with libnin's line (a missing or bad file, no such device). Close it with close(), or use it in a with
    statement; it is also closed when collected.
    """

    def __init__(self, path, device=0, batch=64):
        self._model = None
        if not isinstance(device, int) or device < 0:
            raise ValueError("device must be a device index (nin.devices()), not %r" % (device,))
        if not isinstance(batch, int) or not 1 <= batch <= 1 << 20:
            raise ValueError("batch must be a whole number from 1 to %d, not %r" % (1 << 20, batch))
        lib, encoded = _library(), os.fsencode(path)   # a path of another type raises before the context is taken
        ctx = _acquire_context(device)
        model = lib.nin_model_load(ctx, encoded, batch)
        if not model:
            error = _error()
            _release_context(device)
            raise error
        self._model, self._device, self.path = model, device, str(path)
        shape = lib.nin_model_input_shape(model)
        self.input_shape = (shape.c, shape.h, shape.w)     # one image: (channels, height, width)
        self.classes = lib.nin_model_classes(model)
        names = [lib.nin_model_class_name(model, c) for c in range(self.classes)]
        self.class_names = None if None in names else [_text(n) for n in names]   # None: the model names none

    def close(self):
        """Free the model on the device (and the device's context when no other model uses it). Idempotent."""
        model, self._model = getattr(self, "_model", None), None
        if model and _lib is not None:
            _lib.nin_model_free(model)
            _release_context(self._device)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:   # interpreter shutdown: the module's globals may be gone already
            pass

    def __repr__(self):
        return "nin.Model(%r, device=%d): %s input, %d classes%s" % (
            self.path, self._device, "x".join(map(str, self.input_shape)), self.classes,
            "" if self._model else ", closed")

    def _handle(self):
        if not self._model:
            raise Error("%s: the model is closed" % self.path)
        return self._model

    def _batch_of(self, x, what):
        """x as (N, C, H, W): it may be (N, C, H, W) or one image (C, H, W), and for a model of one channel also
        (N, H, W) or one image (H, W). ValueError naming the expected shape otherwise."""
        c, h, w = self.input_shape
        if x.ndim == 4 and x.shape[1:] == (c, h, w):
            return x
        if x.ndim == 3 and x.shape == (c, h, w):
            return x[None]
        if c == 1 and x.ndim in (2, 3) and x.shape[-2:] == (h, w):
            return x.reshape(-1, 1, h, w)
        expected = "(N, %d, %d, %d) or (%d, %d, %d)" % (c, h, w, c, h, w)
        if c == 1:
            expected += " or (N, %d, %d) or (%d, %d)" % (h, w, h, w)
        raise ValueError("%s: %s of shape %s; this model takes %s" % (self.path, what, x.shape, expected))

    def _pixels(self, images):
        """images as contiguous uint8 (N, C, H, W), checked as predict() says."""
        x = self._batch_of(np.asarray(images), "images")
        if x.dtype != np.uint8:
            if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
                raise ValueError("%s: images of type %s; pixels are numbers 0..255" % (self.path, x.dtype))
            if x.size and not (np.all(np.isfinite(x)) and x.min() >= 0 and x.max() <= 255):
                raise ValueError("%s: pixel values must be 0..255, these are %s..%s" % (self.path, x.min(), x.max()))
            x = np.rint(x) if np.issubdtype(x.dtype, np.floating) else x
        return np.ascontiguousarray(x, dtype=np.uint8)

    def predict(self, images):
        """Class probabilities of images of 8-bit pixels, after the model's own preprocessing.

        images: a NumPy array (or anything np.asarray takes) of pixel values 0..255, uint8 or any integer or
        float type (floats are rounded), shaped (N, C, H, W) or, for one image, (C, H, W); for a model of one
        channel also (N, H, W) or (H, W). Returns float32 probabilities of shape (N, classes), N = 1 for one
        image. ValueError for another shape or values outside 0..255; Error when libnin fails.
        """
        model, pixels = self._handle(), self._pixels(images)
        probs = np.empty((len(pixels), self.classes), np.float32)
        if len(pixels) and _lib.nin_model_predict(model, pixels, len(pixels), probs) != 0:
            raise _error()
        return probs

    def preprocess(self, images):
        """The model's preprocessing of images (taken as predict() takes them): float32 (N, C, H, W), the input
        of forward()."""
        model, pixels = self._handle(), self._pixels(images)
        out = np.empty(pixels.shape, np.float32)
        if len(pixels) and _lib.nin_model_preprocess(model, pixels, len(pixels), out) != 0:
            raise _error()
        return out

    def forward(self, x):
        """The network's outputs (logits, before softmax) for inputs preprocessed as the model expects (preprocess()).

        x: float32 (or any real type, converted) of shape (N, C, H, W) or (C, H, W), for one channel also
        (N, H, W) or (H, W). Returns float32 (N, classes).
        """
        model = self._handle()
        x = np.ascontiguousarray(self._batch_of(np.asarray(x), "inputs"), dtype=np.float32)
        out = np.empty((len(x), self.classes), np.float32)
        if len(x) and _lib.nin_model_forward(model, x, len(x), out) != 0:
            raise _error()
        return out

    def predict_file(self, path):
        """Class probabilities (float32, (classes,)) of one image file (JPEG, PNG, PGM, PPM), scaled to the
        input as nin-cl predict does."""
        probs = np.empty(self.classes, np.float32)
        if _lib.nin_model_predict_file(self._handle(), os.fsencode(path), probs) != 0:
            raise _error()
        return probs
