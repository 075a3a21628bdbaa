"""A memoryless loudspeaker model in front of the linear filter (a Hammerstein canceller).

Laptop speakers clip and compress, often more on one half of the wave than the other.
The linear filter alone then leaves the distortion products in the mic: with the ICASSP
AEC challenge's loudspeaker model the best linear fit removes only about 4 dB.  Here the
far end is shaped before the filter sees it:

    z = x + c1 |x| + c2 x^2 + c3 (x^3 - k x)      (x in full-scale units, times 32768)

and the three coefficients are fitted to the mic by weighted least squares, each basis
signal taken through the filter's current echo path (its first partitions, where a laptop's
echo has nearly all its energy).  This basis fits that model's distortion to 36 dB at half
scale (a tanh soft clip to 37 dB), where clipping-style piecewise bases did worse.  Blocks
are weighted by the inverse error power, so double talk (a loud error that has nothing to
do with the far end) moves the fit little.
"""

from __future__ import annotations

import numpy as np

from gemini_live_tui.audio.aec.base import ComplexArray, FloatArray

BASES = 3


class LoudspeakerModel:
    """Shapes the far end (``shape``) and refits its coefficients (``fit``), block by block.

    ``rows`` is the length of the caller's ring of far spectra (it keeps this module's ring
    of basis spectra at the same positions).
    """

    def __init__(
        self, n: int, rows: int, *, rate: int = 16000, partitions: int = 6, memory_blocks: int = 150
    ) -> None:
        self.n = n
        self.rows = rows
        self.partitions = partitions
        k = n + 1
        self.c = np.zeros(BASES)
        # Row 0 is x itself: fitting its gain too keeps the linear filter's own residual
        # out of the distortion coefficients (they are the others over it).
        self._phi_prev = np.zeros((BASES + 1, n))
        self._frame = np.zeros((BASES + 1, 2 * n))
        # Basis spectra, newest first, doubled like the filter's ring (write at p and p+rows).
        self._buf = np.zeros((2 * rows, BASES + 1, k), dtype=np.complex128)
        self._lam = 1.0 - 1.0 / memory_blocks
        self._r = np.zeros((BASES + 1, BASES + 1))
        self._q = np.zeros(BASES + 1)
        self._t = 0.0
        self.active = False
        self.fits = 0
        self._m2 = 0.0
        self._m3 = 0.0
        self._low = max(1, round(100.0 * 2 * n / rate))  # bins below 100 Hz
        self._m4 = 0.0
        # Switching on: the terms must explain a share of the residual for start_fits
        # fits in a row (a linear speaker's ratio is 0.98-1.0 after its first second).
        self.start = 0.92
        self.keep = 0.97
        self.start_fits = 25
        self._earned = 0

    def shape(self, x: FloatArray, p: int) -> FloatArray:
        """The shaped far block for the filter; keeps the basis spectra at ring row ``p``."""
        n = self.n
        u = x * (1.0 / 32768.0)
        full = self._frame[:, n:]
        full[0] = u
        phi = full[1:]
        np.abs(u, out=phi[0])
        np.multiply(u, u, out=phi[1])
        np.multiply(phi[1], u, out=phi[2])
        # x^3 minus its projection on x (kappa = <x^4> / <x^2>, running): otherwise the
        # linear filter's own residual leaks into c3 and the two chase each other.
        # Likewise x^2 minus its projection on |x| (both are mostly the envelope).
        self._m2 = 0.98 * self._m2 + 0.02 * float(phi[1].sum())
        self._m3 = 0.98 * self._m3 + 0.02 * float(phi[1] @ phi[0])
        self._m4 = 0.98 * self._m4 + 0.02 * float(phi[1] @ phi[1])
        if self._m2 > 0.0:
            phi[2] -= (self._m4 / self._m2) * u
            phi[1] -= (self._m3 / self._m2) * phi[0]
        full *= 32768.0
        self._frame[:, :n] = self._phi_prev
        self._phi_prev = full.copy()
        spec = np.fft.rfft(self._frame, axis=1)
        # No loudspeaker plays the even terms' DC and rumble: leave them out of the fit.
        spec[1:, : self._low] = 0.0
        self._buf[p] = spec
        self._buf[p + self.rows] = spec
        return np.asarray(x + self.c @ phi, dtype=np.float64)

    def fit(self, h: ComplexArray, q: int, e: FloatArray, weight: float) -> None:
        """One weighted least-squares step from the filter's error ``e``.

        ``h`` is the filter (partitions x bins) and ``q`` the ring row its first partition
        reads.  What the basis signals must explain is the mic minus the linear part of
        the echo estimate, ``e + c . g`` with ``g`` the basis signals through the path.
        """
        n, p = self.n, self.partitions
        spec = np.einsum("pk,pjk->jk", h[:p], self._buf[q : q + p])
        g = np.fft.irfft(spec, axis=1)[:, n:]  # (1 + BASES, n): each through the path
        target = e + g[0] + self.c @ g[1:]
        lam = self._lam
        self._r *= lam
        self._r += weight * (g @ g.T)
        self._q *= lam
        self._q += weight * (g @ target)
        self._t *= lam
        self._t += weight * float(target @ target)
        diag = np.diag(self._r)
        if diag.min() <= 0.0:
            return
        ridge = 1e-3 * float(diag.mean())
        sol = np.linalg.solve(self._r + ridge * np.eye(BASES + 1), self._q)
        # Use the distortion terms only where they earn it: they must cut by 30 % what x alone
        # leaves unexplained (a linear speaker gets c = 0, exactly the linear canceller),
        # and x must keep a sensible gain (near 1 once the filter has converged).
        left_full = self._t - float(self._q @ sol)
        left_lin = self._t - self._q[0] ** 2 / (self._r[0, 0] + ridge)
        # Once they have, they stay (a speaker does not turn linear); later fits are taken
        # while they still beat x alone, and held otherwise (double talk, a path change).
        if not 0.5 < sol[0] < 2.0:
            self._earned = 0
            return
        if self.active:
            if left_full < self.keep * left_lin:
                self.c = sol[1:] / sol[0]
                self.fits += 1
            return
        self._earned = self._earned + 1 if left_full < self.start * left_lin else 0
        if self._earned >= self.start_fits:
            self.active = True
            self.c = sol[1:] / sol[0]
            self.fits += 1

    def reset(self) -> None:
        """Forget the fit (the echo path changed, so the old regressors mean nothing)."""
        self._r[:] = 0.0
        self._q[:] = 0.0
        self._t = 0.0
