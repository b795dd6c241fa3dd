# fish completion for lab. Install:
#   lab completion fish > ~/.config/fish/completions/lab.fish
# On each Tab, `lab __complete` answers from the CLI's own definition: candidates, one per
# line, or a directive for fish to complete paths itself (:files:EXT,EXT or :dirs).
function __lab_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    set -l answer (lab __complete $words 2>/dev/null)
    switch "$answer[1]"
        case ':files:'
            __fish_complete_path (commandline -ct)
        case ':files:*'
            set -l exts (string split , (string replace ':files:' '' -- $answer[1]))
            # folders (to go into) and files with one of the extensions
            __fish_complete_path (commandline -ct) | string match -r -- '^[^\t]*(/|\.('(string join '|' $exts)'))(\t.*)?$'
        case ':dirs'
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\n' $answer
    end
end
complete -c lab -f -a '(__lab_complete)'
