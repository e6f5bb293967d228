package io.evasan.scsi.target.impl;

import java.nio.ByteBuffer;

/**
 * Per-worker-thread buffers of the executor ({@link CommandExecutor} hands each command its thread's
 * instance), so that no read, write or page allocates.
 *
 * <p>Invariant: used by one thread, for one command at a time; nothing in it outlives the command
 * (every user clears or overwrites what it reads). {@code a} and {@code b} are {@link #SCRATCH} bytes,
 * {@code aBuf} / {@code bBuf} wrap them; {@code vendor} is a vendor handler's Data-In.
 */
final class Scratch {
    static final int SCRATCH = 1 << 20;

    final byte[] a = new byte[SCRATCH];
    final byte[] b = new byte[SCRATCH];
    final ByteBuffer aBuf = ByteBuffer.wrap(a);
    final ByteBuffer bBuf = ByteBuffer.wrap(b);
    final ByteBuffer vendor = ByteBuffer.allocate(64 * 1024);
}
