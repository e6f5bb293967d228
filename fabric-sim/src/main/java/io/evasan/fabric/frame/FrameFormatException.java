package io.evasan.fabric.frame;

/**
 * A frame, payload or encapsulation that does not decode. Every decoder in this package reports
 * malformed input only through this checked exception, never through an unchecked one; {@link
 * #problem()} says precisely what was wrong so that a receiver can pick the matching reject
 * (LS_RJT, BA_RJT, CT reject) or drop the frame.
 */
public final class FrameFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What was wrong with the input. */
    public enum Problem {
        /** Fewer bytes than the layout needs. */
        TRUNCATED,
        /** A length field (or the input length) disagrees with the layout. */
        BAD_LENGTH,
        /** R_CTL is not one this fabric carries. */
        BAD_R_CTL,
        /** TYPE does not match R_CTL, or is not one this fabric carries. */
        BAD_TYPE,
        /** DF_CTL announces optional headers, which this fabric does not carry. */
        BAD_DF_CTL,
        /** An ELS command code this fabric does not support: answered LS_RJT "command not supported" (FC-LS reason 0Bh). */
        UNKNOWN_ELS,
        /** The CT_IU preamble has a wrong revision, GS type or subtype, or an unknown command. */
        BAD_CT,
        /** A field holds a value the layout forbids (reserved bits set, bad page length, ...). */
        BAD_FIELD,
        /** Encapsulation header: wrong protocol or version, or a field and its complement disagree. */
        BAD_ENCAPSULATION,
        /** A CRC does not match. */
        BAD_CRC,
        /** An SOF or EOF code that is not defined. */
        BAD_DELIMITER
    }

    private final Problem problem;

    public FrameFormatException(Problem problem, String message) {
        super(problem + ": " + message);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    static void require(boolean ok, Problem problem, String message) throws FrameFormatException {
        if (!ok) {
            throw new FrameFormatException(problem, message);
        }
    }

    static void need(byte[] b, int length, String what) throws FrameFormatException {
        if (b.length < length) {
            throw new FrameFormatException(Problem.TRUNCATED, what + ": " + b.length + " bytes, needs " + length);
        }
    }
}
