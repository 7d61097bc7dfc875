//! The words for a refused booking of an event's facilities, as the event form shows them: the
//! facility module's own message for a single event, and for a series every occurrence that
//! clashes with the booking in the way (at most [`LISTED`], then how many more).

use crate::facility::model::{Status, conflict_message};
use crate::facility::texts::FacilityTexts;
use crate::i18n::Lang;
use crate::org::model::StaffId;
use crate::schedule::form::Problem;
use crate::schedule::model::JST;
use crate::schedule::rooms::RoomRefusal;
use crate::schedule::texts::{ScheduleTexts, problem_message};

/// Clashing occurrences listed by name at most.
const LISTED: usize = 10;

/// The form's messages for `refusal`, as `viewer` may read them (private titles hidden).
pub(super) fn messages(refusal: &RoomRefusal, viewer: StaffId, lang: Lang) -> Vec<String> {
    let texts = FacilityTexts::of(lang);
    let st = ScheduleTexts::of(lang);
    let mut out = Vec::new();
    if refusal.unknown_facility {
        out.push(problem_message(Problem::BadFacility, lang).to_owned());
    }
    out.extend(refusal.rules.iter().map(|rule| rule.message(texts)));
    match refusal.clashes.as_slice() {
        [] => {}
        [only] if !refusal.series => out.push(conflict_message(&only.existing, viewer, texts)),
        clashes => {
            out.push(st.rooms_taken.replace("{n}", &clashes.len().to_string()));
            for clash in clashes.iter().take(LISTED) {
                let existing = &clash.existing;
                let start = clash.occurrence.start().to_offset(JST);
                let when = crate::facility::model::Slot::new(
                    clash.occurrence.start(),
                    clash.occurrence.end(),
                )
                .map(|slot| slot.short_label(texts))
                .unwrap_or_else(|_| crate::facility::model::date_label(start.date(), texts));
                out.push(
                    st.rooms_taken_line
                        .replace("{when}", &when)
                        .replace("{facility}", &existing.facility_name)
                        .replace("{booker}", &existing.booker_name)
                        .replace("{title}", &existing.title_for(viewer, false, texts))
                        .replace(
                            "{status}",
                            if existing.status == Status::Pending {
                                texts.conflict_pending_suffix
                            } else {
                                ""
                            },
                        )
                        .replace("{booked}", &existing.slot.label(texts)),
                );
            }
            if clashes.len() > LISTED {
                out.push(
                    st.rooms_more
                        .replace("{n}", &(clashes.len() - LISTED).to_string()),
                );
            }
        }
    }
    out
}
