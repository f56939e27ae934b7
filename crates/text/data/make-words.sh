#!/bin/sh
# Regenerates words.txt, the English word list the text engine uses to tell
# ordinary words ("bestseller", "assassin") from code words hidden inside
# longer tokens. Source: SCOWL via the Debian packages wamerican and wbritish
# (licence in SCOWL-COPYRIGHT). Run from this directory:
#   sudo apt-get install wamerican wbritish && sh make-words.sh
set -eu
{
  # Words of three letters or more, lower-case or capitalised (proper nouns);
  # all-capital entries are acronyms and are left out.
  cat /usr/share/dict/american-english /usr/share/dict/british-english \
    | grep -E '^[A-Za-z][a-z]{2,}$' | tr 'A-Z' 'a-z'
  # Two-letter words that are words, not abbreviations, and "a" and "i".
  printf '%s\n' a i ad ah am an as at aw ax be by do eh em ex go ha he hi ho \
    id if in is it la lo ma me mi my no of oh on or ow ox pa pi re so to uh \
    um up us we ye
  # Common words of social media that SCOWL's size-50 lists leave out.
  printf '%s\n' pic pics vid vids dm dms selfie selfies bff irl lol omg ootd \
    vlog vlogs blog blogs emoji emojis hashtag hashtags insta reel reels
} | LC_ALL=C sort -u > words.txt
