package io.evasan.scsi.lu;

/**
 * Which logical units the requester of a command can see. A command that names a LUN other than
 * by its I_T_L nexus (a seed 003 system drive number, an EXTENDED COPY target descriptor) may act
 * only on a LUN this view {@link #sees}; otherwise it is refused and changes nothing.
 *
 * <p>Invariant: {@code sees(null)} is false. For a SCSI initiator the view is the target's LUN
 * masking ({@link #of}), the same source of truth as REPORT LUNS; management (the administrator,
 * who configures the masking) uses {@link #EVERYTHING}.
 */
@FunctionalInterface
public interface LunVisibility {
    /** Sees every existing LU: management requests, which are not subject to LUN masking. */
    LunVisibility EVERYTHING = lu -> lu != null;

    boolean sees(LogicalUnit lu);

    /** What {@code initiatorName} sees through {@code masking}: the LUs presented to it. */
    static LunVisibility of(LunMasking masking, String initiatorName) {
        return lu -> masking.presents(initiatorName, lu);
    }
}
