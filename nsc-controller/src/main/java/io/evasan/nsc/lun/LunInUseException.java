package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.util.List;

/**
 * A destructive change of a LUN (delete, shrink) refused because hosts see the LUN or it has snapshots, and the
 * caller did not force it. The message names the LUN, the presentations and the snapshots by name.
 *
 * <p>Invariants: the code is {@link ErrorCode#INVALID_STATE}; {@link #presentations()} (of the LUN and of its
 * snapshots) or {@link #snapshots()} is not empty; the refused call changed nothing.
 */
public final class LunInUseException extends StorageException {
    private static final long serialVersionUID = 1L;
    private final String lun;
    private final transient List<Presentation> presentations;
    private final List<String> snapshots;

    public LunInUseException(String message, String lun, List<Presentation> presentations, List<String> snapshots) {
        super(ErrorCode.INVALID_STATE, message);
        if (presentations.isEmpty() && snapshots.isEmpty()) {
            throw new IllegalArgumentException("a LUN in use has presentations or snapshots");
        }
        this.lun = lun;
        this.presentations = List.copyOf(presentations);
        this.snapshots = List.copyOf(snapshots);
    }

    /** The LUN's name. */
    public String lun() {
        return lun;
    }

    /** The presentations that block the change: the LUN's own, then its snapshots'. */
    public List<Presentation> presentations() {
        return presentations;
    }

    /** The names of the LUN's snapshots and snapclones. */
    public List<String> snapshots() {
        return snapshots;
    }
}
