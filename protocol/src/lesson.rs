//! Lesson catalog and lesson content as sent to the browser.
//! (Filled in by the lessons work, issue 4.)
