package io.evasan.sharing;

import java.util.List;

/** A sharing tree, oldest disk first (the chain S0 &lt;- S1 &lt;- ... &lt;- LD). */
public record TreeDescription(List<DiskDescription> disks) {
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (DiskDescription d : disks) {
            if (b.length() > 0) {
                b.append(" <- ");
            }
            b.append(d.kind()).append('#').append(d.id())
                    .append("(shared ").append(d.sharedWithSuccessor()).append(", private ").append(d.privateSegments());
            if (d.bgcopy() != null) {
                b.append(", bgcopy ").append(d.bgcopy().done()).append('/').append(d.bgcopy().total());
            }
            b.append(')');
        }
        return b.toString();
    }
}
