package io.evasan.sharing.impl;

/** Thrown inside an I/O when an on-demand disk cannot get space: invalidate it, then retry. */
final class NeedsInvalidation extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Disk disk;

    NeedsInvalidation(Disk disk, Throwable cause) {
        super(null, cause, false, false);
        this.disk = disk;
    }
}
