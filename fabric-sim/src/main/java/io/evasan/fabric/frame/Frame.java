package io.evasan.fabric.frame;

import java.util.Arrays;

/**
 * One FC frame: header and payload, without SOF, CRC and EOF (those belong to the link
 * encapsulation, {@link EncapsulationDescriptor}). Invariant: the payload is at most {@link
 * FrameHeaderDescriptor#MAX_PAYLOAD} bytes and the array is never shared with the caller.
 */
public record Frame(FrameHeader header, byte[] payload) {

    public Frame {
        if (payload.length > FrameHeaderDescriptor.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload " + payload.length + " > " + FrameHeaderDescriptor.MAX_PAYLOAD);
        }
        if (OWNED.get() != payload) {
            payload = payload.clone();
        }
    }

    /** The array a decoder just made for a frame: the frame takes it without a copy (see {@link #owning}). */
    private static final ThreadLocal<byte[]> OWNED = new ThreadLocal<>();

    /** A frame that takes {@code payload} as it is: only for an array nobody else holds (a decoder's own copy). */
    static Frame owning(FrameHeader header, byte[] payload) {
        OWNED.set(payload);
        try {
            return new Frame(header, payload);
        } finally {
            OWNED.remove();
        }
    }

    /** Copies {@code length} payload bytes from {@code from} into {@code dst} at {@code at} (no copy of the whole payload). */
    public void copyPayload(int from, byte[] dst, int at, int length) {
        System.arraycopy(payload, from, dst, at, length);
    }

    /** Copies the payload into {@code dst} at its absolute index {@code at}. */
    public void copyPayload(java.nio.ByteBuffer dst, int at) {
        dst.put(at, payload, 0, payload.length);
    }

    /** The payload itself, not a copy: for the encoder in this package, which only reads it. */
    byte[] payloadArray() {
        return payload;
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    public int payloadLength() {
        return payload.length;
    }

    /** Header followed by payload (no fill bytes). */
    public byte[] encode() {
        byte[] b = new byte[FrameHeaderDescriptor.LENGTH + payload.length];
        header.encode(b, 0);
        System.arraycopy(payload, 0, b, FrameHeaderDescriptor.LENGTH, payload.length);
        return b;
    }

    /**
     * Decodes header and payload from exactly {@code b}.
     *
     * @throws FrameFormatException as {@link FrameHeader#decode}, or BAD_LENGTH for an oversized payload
     */
    public static Frame decode(byte[] b) throws FrameFormatException {
        FrameHeader h = FrameHeader.decode(b, 0);
        int n = b.length - FrameHeaderDescriptor.LENGTH;
        if (n > FrameHeaderDescriptor.MAX_PAYLOAD) {
            throw new FrameFormatException(FrameFormatException.Problem.BAD_LENGTH, "payload " + n + " bytes");
        }
        return new Frame(h, Arrays.copyOfRange(b, FrameHeaderDescriptor.LENGTH, b.length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && header.equals(f.header) && Arrays.equals(payload, f.payload);
    }

    @Override
    public int hashCode() {
        return header.hashCode() * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "Frame[" + header + ", " + payload.length + " payload bytes]";
    }
}
